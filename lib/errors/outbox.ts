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
