import { EventwireError } from './base.js';

/**
 * `outbox.stageRouteEvent` was given a client that is not inside a transaction block: staging
 * there would commit the event on its own, whatever the route's writes do. Nothing was staged.
 *
 * @example
 * await outbox.stageRouteEvent(pool, 'order.placed', order, { topic: 'orders' }); // NoTransactionError
 */
export class NoTransactionError extends EventwireError {
  readonly code = 'EVENTWIRE_NO_TRANSACTION';
  constructor(readonly argument: string, name: string, options?: { cause?: unknown }) {
    super(
      `Event "${name}" was not staged: \`${argument}\` is not inside a transaction. Run BEGIN on that client (or pass your query builder's transaction) and stage before COMMIT.`,
      options,
    );
  }
}

/**
 * A statement of the outbox, its relay or its inbox met a table that does not exist: the
 * outbox's tables were never created in this database (or under this `table` name). Recognised
 * by PostgreSQL's SQLSTATE `42P01` (undefined_table). Thrown in the caller's transaction by
 * `stage()`, which PostgreSQL has then aborted: roll it back.
 *
 * @example
 * await outbox.stage(client, 'order.placed', order, { topic: 'orders' }); // before migrate(): OutboxNotMigratedError
 */
export class OutboxNotMigratedError extends EventwireError {
  readonly code = 'EVENTWIRE_OUTBOX_NOT_MIGRATED';
  constructor(readonly table: string, options?: { cause?: unknown }) {
    super(
      `The table ${table} does not exist: create the outbox's tables first, with \`await outbox.migrate()\` at start-up ` +
        'or `eventwire outbox migrate` at deploy time (same `table` option / --table).',
      options,
    );
  }
}
