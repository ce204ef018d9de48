import type { ContextFactory, Middleware } from '../lib/handling/chain.js';

/** What an inbox counted since it was created. */
export interface InboxStats {
  /** Deliveries handed to the handler whose effects committed (PostgreSQL) or completed (Redis). */
  handled: number;
  /** Deliveries of an id the group had handled already: acknowledged, never handed to the handler. */
  duplicates: number;
}

/**
 * Idempotent consumers: put `middleware` in a consumer's `middleware` list (and, for the
 * PostgreSQL inbox, `context` as its `context`) and its handler runs once per event id and
 * consumer group; duplicates are acknowledged and counted.
 *
 * @example
 * const inbox = outbox.inbox();
 * messageHandler({ topic: 'orders', groupId: 'billing', middleware: [inbox.middleware], context: inbox.context }, async (order, ctx) => {
 *   await ctx.db.query('INSERT INTO invoices (order_id) VALUES ($1)', [order.id]);
 * });
 */
export interface Inbox<C extends object> {
  readonly middleware: Middleware;
  /** The handler's context: for PostgreSQL, `{ db }`, the client of the inbox's transaction. */
  readonly context: ContextFactory<C>;
  stats(): Readonly<InboxStats>;
}
