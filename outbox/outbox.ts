import type { Event } from '../lib/envelope/event.js';
import { resolveOutboxOptions, resolveRelayOptions, type OutboxOptions, type RelayOptions } from './options.js';
import { startRelayLoop, type Relay } from './relay.js';
import type { Queryable } from './pool.js';
import type { EventStager } from '../lib/publishing/event-stager.js';
import { checkStageable, stageMessages } from './stage-messages.js';
import { createPgInbox, type PgInbox } from './inbox-pg.js';
import { resolvePgInboxOptions, type PgInboxOptions } from './inbox-options.js';
import { migrationSql } from './schema-sql.js';
import { expectQueryable, stageEvent, type StageOptions } from './stage.js';
import { expectTransaction, routeStage, type RouteStageOptions } from './route-stage.js';

/**
 * A transactional outbox on PostgreSQL: events staged in the caller's transaction exist exactly
 * when its other writes do, and a relay publishes them afterwards, at least once.
 *
 * @example
 * const outbox = createOutbox({ pool });
 * await outbox.migrate();
 * const relay = outbox.startRelay({ messaging });
 *
 * Passed as `configureMessaging({ outbox })` (or `createMessaging`), it puts that instance in
 * outbox-only mode: its `publishEvent`, `emitEvent` and `eventMiddleware` stage instead of sending.
 */
export interface Outbox extends EventStager {
  /** The table, as configured (`eventwire_outbox` by default). */
  readonly table: string;
  /** Creates the table, its failed table, index and insert trigger unless they exist. */
  migrate(): Promise<void>;
  /**
   * Inserts the event through `client` (a pg Client or PoolClient inside your transaction, or
   * any object with `query(text, values)`); resolves with the event as it will be published.
   */
  stage<T>(client: Queryable, name: string, data: T, options: StageOptions): Promise<Event<T>>;
  /**
   * Stages a route's result as `eventMiddleware` would publish it (`topic`, `keyField`,
   * `includeResult`), through `client`, which must be inside the route's open transaction:
   * otherwise it throws NoTransactionError and stages nothing. Call it before COMMIT; a rollback
   * then discards the event with the route's writes. Express and Koa alike: pass the result you
   * are about to send.
   */
  stageRouteEvent(client: Queryable, name: string, result: unknown, options: RouteStageOptions): Promise<Event>;
  /**
   * An inbox in `<table>_inbox` (created by `migrate()`): its middleware makes a consumer's
   * handler run once per event id and group, its context gives the handler `db`, the client of
   * the transaction in which the inbox mark commits. Marks older than `retentionMs` (default 7
   * days) are deleted by the deliveries themselves, or by `prune()`.
   */
  inbox(options?: PgInboxOptions): PgInbox;
  /** Starts publishing staged events through `messaging`; several relays may run at once. */
  startRelay(options: RelayOptions): Relay;
}

/**
 * Creates an outbox on `pool`. Nothing connects until `migrate()` or `startRelay()`.
 *
 * @example
 * const outbox = createOutbox({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) });
 */
export function createOutbox(options: OutboxOptions): Outbox {
  const { pool, names, source } = resolveOutboxOptions(options, process.env);
  return {
    table: names.given,
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query(migrationSql(names));
      } catch (error) {
        client.release(error instanceof Error ? error : true);
        throw error;
      }
      client.release();
    },
    stage: (client, name, data, stageOptions) => stageEvent(names, source, client, name, data, stageOptions),
    async stageRouteEvent(client, name, result, routeOptions) {
      const queryable = expectQueryable(client);
      const staged = routeStage(name, result, routeOptions);
      await expectTransaction(queryable, name);
      return stageEvent(names, source, queryable, name, staged.data, staged.options);
    },
    checkMessage: (_topic, message) => checkStageable(message),
    stageMessages: (topic, messages) => stageMessages(pool, names, topic, messages),
    inbox: (inboxOptions) => createPgInbox(pool, names, resolvePgInboxOptions(inboxOptions)),
    startRelay: (relayOptions) => startRelayLoop(pool, names, resolveRelayOptions(relayOptions)),
  };
}
