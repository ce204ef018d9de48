import type { Logger } from '../lib/config/logger.js';
import type { ResolvedPgInboxOptions } from './inbox-options.js';
import { migratedOr, notMigrated } from './not-migrated.js';
import type { OutboxPool } from './pool.js';
import type { TableNames } from './table-name.js';

/** Where the pruning statements run, and on which table. */
export interface PruneTarget {
  readonly pool: OutboxPool;
  readonly names: TableNames;
  readonly options: ResolvedPgInboxOptions;
}

/**
 * The inbox table as the user would name it, for messages.
 *
 * @example
 * inboxTableName(names); // 'eventwire_outbox_inbox'
 */
export function inboxTableName(names: TableNames): string {
  return `${names.given}_inbox`;
}

/**
 * Deletes up to `pruneBatchSize` marks older than `retentionMs` in one statement, which is its
 * own short transaction: rows locked by another pruner are skipped, never waited for. Resolves
 * with the number deleted.
 *
 * @example
 * const deleted = await pruneBatch(target);
 */
export async function pruneBatch(target: PruneTarget): Promise<number> {
  const { pool, names, options } = target;
  const client = await pool.connect();
  try {
    const result = await migratedOr(inboxTableName(names), () => client.query(
      `WITH expired AS (SELECT group_id, event_id FROM ${names.inbox} ` +
        "WHERE handled_at < now() - $1::bigint * interval '1 millisecond' LIMIT $2 FOR UPDATE SKIP LOCKED) " +
        `DELETE FROM ${names.inbox} i USING expired e WHERE i.group_id = e.group_id AND i.event_id = e.event_id RETURNING 1`,
      [options.retentionMs, options.pruneBatchSize],
    ));
    client.release();
    return result.rows.length;
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/**
 * Deletes every mark older than `retentionMs`, batch after batch, until a batch comes back short.
 *
 * @example
 * const deleted = await pruneAll(target);
 */
export async function pruneAll(target: PruneTarget): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await pruneBatch(target);
    total += deleted;
    if (deleted < target.options.pruneBatchSize) return total;
  }
}

/**
 * Pruning as a side effect of deliveries: at most one batch at a time, and at most one per
 * `pruneIntervalMs`, except while batches come back full (a backlog), when the next delivery
 * prunes again. A failure is logged, never thrown: the delivery it follows has committed.
 *
 * @example
 * const pruner = new DeliveryPruner(target); … await pruner.afterDelivery(ctx.logger);
 */
export class DeliveryPruner {
  readonly #target: PruneTarget;
  #due = 0;
  #running = false;

  constructor(target: PruneTarget) {
    this.#target = target;
  }

  /** Prunes one batch when it is due and no other delivery is pruning. */
  async afterDelivery(logger: Logger): Promise<void> {
    const { pruneIntervalMs, pruneBatchSize } = this.#target.options;
    if (pruneIntervalMs === 0 || this.#running || Date.now() < this.#due) return;
    this.#running = true;
    try {
      const deleted = await pruneBatch(this.#target);
      this.#due = deleted < pruneBatchSize ? Date.now() + pruneIntervalMs : 0;
    } catch (error) {
      this.#due = Date.now() + pruneIntervalMs;
      logger.warn('inbox: deleting expired marks failed; tried again later', { table: inboxTableName(this.#target.names), error: notMigrated(error, inboxTableName(this.#target.names)) });
    } finally {
      this.#running = false;
    }
  }
}
