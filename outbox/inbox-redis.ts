import { InvalidArgumentError } from '../lib/errors/index.js';
import { describe, expectKnownKeys, expectObject, expectString } from '../lib/config/validate.js';
import { expectRetentionMs } from './inbox-options.js';
import type { Link, Middleware } from '../lib/handling/chain.js';
import type { Inbox, InboxStats } from './inbox.js';
import { inboxEventId } from './inbox-id.js';

/** The Redis commands the inbox sends, as ioredis spells them: an ioredis client fits. */
export interface RedisInboxClient {
  /** `SET key value PX milliseconds NX`: 'OK' when set, null when the key existed. */
  set(key: string, value: string, expiry: 'PX', milliseconds: number, mode: 'NX'): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/**
 * Options of `createRedisInbox`.
 *
 * @example
 * createRedisInbox({ redis: new Redis(process.env.REDIS_URL), retentionMs: 24 * 60 * 60 * 1000 });
 */
export interface RedisInboxOptions {
  /** Your client; the inbox never connects or closes it. */
  readonly redis: RedisInboxClient;
  /**
   * How long an id is remembered (the key's expiry): a duplicate arriving later is handled
   * again. The same option, with the same default, as the PostgreSQL inbox's: 604800000 (7 days).
   */
  readonly retentionMs?: number;
  /** Key prefix; the key is `<prefix><group>:<event id>`. Default `eventwire:inbox:`. */
  readonly prefix?: string;
}

/**
 * The Redis inbox, for handlers whose effects are not in a database: `SET key NX` with a time to
 * live before the handler runs; an id already set is a duplicate, acknowledged and counted. A
 * handler that fails deletes the mark, so the retry runs. Weaker than the PostgreSQL inbox: the
 * mark and the effects are not one transaction, so a process killed while the handler runs leaves
 * the mark, and the redelivery is skipped (its effects may be half done); and an id is forgotten
 * after `retentionMs`.
 *
 * @example
 * const inbox = createRedisInbox({ redis });
 * createConsumer({ topic: 'emails', groupId: 'mailer', middleware: [inbox.middleware], handlers });
 */
export function createRedisInbox(options: RedisInboxOptions): Inbox<object> {
  const given = expectObject('createRedisInbox options', options);
  if (given.ttlSeconds !== undefined) {
    throw new InvalidArgumentError('ttlSeconds', 'Unknown option `ttlSeconds` in createRedisInbox options: the Redis inbox takes `retentionMs` (milliseconds), as the PostgreSQL inbox does. Pass { retentionMs: seconds * 1000 }.');
  }
  expectKnownKeys('createRedisInbox options', given, ['redis', 'retentionMs', 'prefix']);
  const redis = given.redis;
  if (typeof redis !== 'object' || redis === null || typeof (redis as Partial<RedisInboxClient>).set !== 'function' || typeof (redis as Partial<RedisInboxClient>).del !== 'function') {
    throw new InvalidArgumentError('redis', `Expected \`redis\` to be an ioredis client (with set and del), got ${describe(redis)}.`);
  }
  const client = redis as RedisInboxClient;
  const retentionMs = expectRetentionMs(given.retentionMs);
  const prefix = expectString('prefix', given.prefix ?? 'eventwire:inbox:');
  const stats: InboxStats = { handled: 0, duplicates: 0 };
  const middleware: Middleware = (next: Link) => async (message, ctx) => {
    const key = `${prefix}${ctx.groupId}:${inboxEventId(message)}`;
    const marked = await client.set(key, '1', 'PX', retentionMs, 'NX');
    if (marked === null) {
      stats.duplicates += 1;
      ctx.logger.debug('duplicate delivery acknowledged without handling', { topic: message.topic, key });
      return;
    }
    try {
      await next(message, ctx);
    } catch (error) {
      await client.del(key);
      throw error;
    }
    stats.handled += 1;
  };
  return { middleware, context: () => ({}), stats: () => ({ ...stats }) };
}
