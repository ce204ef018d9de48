// 'eventwire/outbox': the transactional outbox on PostgreSQL. It imports no database driver:
// the pool is the caller's (a `pg` Pool fits), and the CLI loads `pg` only when run.
export { createOutbox } from './outbox.js';
export type { Outbox } from './outbox.js';
export type { OutboxOptions, RelayOptions } from './options.js';
export type { Relay, RelayStats } from './relay.js';
export type { StageOptions } from './stage.js';
export type { StagedWith, Statement } from './stage-with.js';
export type { RouteStageOptions } from './route-stage.js';
export { NoTransactionError, OutboxNotMigratedError } from '../lib/errors/index.js';
export type { OutboxNotification, OutboxPool, OutboxPoolClient, Queryable, QueryResult } from './pool.js';
export { defaultTable } from './table-name.js';
export type { Inbox, InboxStats } from './inbox.js';
export type { PgInbox, PgInboxContext } from './inbox-pg.js';
export type { PgInboxOptions } from './inbox-options.js';
export { createRedisInbox } from './inbox-redis.js';
export type { RedisInboxClient, RedisInboxOptions } from './inbox-redis.js';
