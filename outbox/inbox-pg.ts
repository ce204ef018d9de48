import { AsyncLocalStorage } from 'node:async_hooks';
import { InvalidArgumentError } from '../lib/errors/index.js';
import type { DeliveryContext, Link, Middleware } from '../lib/handling/chain.js';
import type { IncomingMessage } from '../lib/broker.js';
import type { Inbox, InboxStats } from './inbox.js';
import type { ResolvedPgInboxOptions } from './inbox-options.js';
import { DeliveryPruner, inboxTableName, pruneAll, type PruneTarget } from './inbox-prune.js';
import { migratedOr } from './not-migrated.js';
import { inboxEventId } from './inbox-id.js';
import type { OutboxPool, OutboxPoolClient, Queryable } from './pool.js';
import type { TableNames } from './table-name.js';

/** The PostgreSQL inbox's handler context: the client whose transaction holds the inbox mark. */
export interface PgInboxContext {
  /** Write the handler's effects through it: they commit with the mark, or not at all. */
  readonly db: Queryable;
}

/**
 * The PostgreSQL inbox: an {@link Inbox} whose marks are rows, deleted once older than its
 * retention.
 *
 * @example
 * const inbox = outbox.inbox({ pruneIntervalMs: 0 });
 * cron.schedule('0 * * * *', () => inbox.prune());
 */
export interface PgInbox extends Inbox<PgInboxContext> {
  /**
   * Deletes every mark older than `retentionMs`, in batches of `pruneBatchSize` rows, each its
   * own short statement (it never holds many locks for long); resolves with the number deleted.
   */
  prune(): Promise<number>;
}

/** The delivery the middleware is running: its transaction's client, for the context factory. */
interface Running {
  readonly client: OutboxPoolClient;
}

/**
 * The PostgreSQL inbox: each attempt opens a transaction, inserts (group, event id) into
 * `<table>_inbox`, runs the handler with that transaction's client as `ctx.db`, and commits. An
 * id already there (or being handled: the insert waits for the other transaction) is a
 * duplicate: rolled back, acknowledged, counted. A failed handler rolls back mark and effects.
 * After a delivery, expired marks are pruned when due (see {@link DeliveryPruner}). A missing
 * inbox table rejects the delivery with OutboxNotMigratedError.
 *
 * @example
 * const inbox = createPgInbox(pool, names, resolvePgInboxOptions({}));
 */
export function createPgInbox(pool: OutboxPool, names: TableNames, options: ResolvedPgInboxOptions): PgInbox {
  const stats: InboxStats = { handled: 0, duplicates: 0 };
  const running = new AsyncLocalStorage<Running>();
  const target: PruneTarget = { pool, names, options };
  const pruner = new DeliveryPruner(target);
  const middleware: Middleware = (next: Link) => async (message: IncomingMessage, ctx: DeliveryContext) => {
    const id = inboxEventId(message);
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // Only the mark's own statement is mapped: a handler's missing table is the handler's error.
      const marked = await migratedOr(inboxTableName(names), () => client.query(
        `INSERT INTO ${names.inbox} (group_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING 1 AS marked`,
        [ctx.groupId, id],
      ));
      if (marked.rows.length === 0) {
        await client.query('ROLLBACK');
        stats.duplicates += 1;
        ctx.logger.debug('duplicate delivery acknowledged without handling', { topic: message.topic, eventId: id, groupId: ctx.groupId });
        return;
      }
      await running.run({ client }, () => next(message, ctx));
      await client.query('COMMIT');
      stats.handled += 1;
    } catch (error) {
      broken = await rollback(client, error);
      throw error;
    } finally {
      client.release(broken ?? false);
    }
    await pruner.afterDelivery(ctx.logger);
  };
  return {
    middleware,
    prune: () => pruneAll(target),
    context: () => {
      const current = running.getStore();
      if (current === undefined) {
        throw new InvalidArgumentError('context', "The inbox's context runs only under its middleware: put inbox.middleware in the consumer's `middleware` list too.");
      }
      return { db: current.client };
    },
    stats: () => ({ ...stats }),
  };
}

/** Rolls back after a failure; a connection that cannot even do that is returned as broken. */
async function rollback(client: OutboxPoolClient, cause: unknown): Promise<Error | undefined> {
  try {
    await client.query('ROLLBACK');
    return undefined;
  } catch {
    return cause instanceof Error ? cause : new Error('rollback failed');
  }
}
