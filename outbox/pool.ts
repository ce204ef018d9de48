/**
 * What the outbox asks of PostgreSQL: only the few methods it calls, so that a `pg` Pool, a
 * PoolClient, or a wrapper around another driver fits without this package importing `pg`.
 */

/** A result as `pg` returns it: the rows, already decoded (jsonb as objects, int8 as strings). */
export interface QueryResult {
  readonly rows: readonly unknown[];
}

/**
 * Anything that runs a parameterised statement (`$1`, `$2`, …): a `pg` Client or PoolClient, or
 * a thin wrapper around your query builder's transaction. `stage()` needs only this.
 *
 * @example
 * const client: Queryable = await pool.connect();
 */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<QueryResult>;
}

/** A statement `pg` prepares once per connection under `name`, then only binds and executes. */
export interface PreparedQuery {
  readonly name: string;
  readonly text: string;
  readonly values: unknown[];
}

/**
 * A client that also takes a {@link PreparedQuery}, as a `pg` Client or PoolClient does; what
 * `stageWith()` needs when its statement asks to be prepared.
 */
export interface PreparingQueryable {
  query(config: PreparedQuery): Promise<QueryResult>;
}

/** A LISTEN notification as `pg` delivers it. */
export interface OutboxNotification {
  readonly channel: string;
  readonly payload?: string | undefined;
}

/**
 * A connection checked out of a pool: a `pg` PoolClient fits. `release(error)` with an error
 * destroys the connection instead of returning it (a broken or listening connection).
 */
export interface OutboxPoolClient extends Queryable {
  release(destroy?: boolean | Error): void;
  on(event: 'notification', listener: (message: OutboxNotification) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  removeListener(event: 'notification', listener: (message: OutboxNotification) => void): unknown;
  removeListener(event: 'error', listener: (error: Error) => void): unknown;
}

/**
 * The pool the outbox takes its connections from: a `pg` Pool fits. The outbox never ends it;
 * its owner does, after stopping the relays.
 *
 * @example
 * const outbox = createOutbox({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) });
 */
export interface OutboxPool {
  connect(): Promise<OutboxPoolClient>;
}
