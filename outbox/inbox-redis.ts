import { InvalidArgumentError } from '../lib/errors/index.js';
import { describe, expectInteger, expectKnownKeys, expectObject, expectString } from '../lib/config/validate.js';
import type { Link, Middleware } from '../lib/handling/chain.js';
import type { Inbox, InboxStats } from './inbox.js';
import { inboxEventId } from './inbox-id.js';

/** The Redis commands the inbox sends, as ioredis spells them: an ioredis client fits. */
export interface RedisInboxClient {
  /** `SET key value EX seconds NX`: 'OK' when set, null when the key existed. */
  set(key: string, value: string, expiry: 'EX', seconds: number, mode: 'NX'): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

/**
 * Options of `createRedisInbox`.
 *
 * @example
 * createRedisInbox({ redis: new Redis(process.env.REDIS_URL), ttlSeconds: 86_400 });
 */
export interface RedisInboxOptions {
  /** Your client; the inbox never connects or closes it. */
  readonly redis: RedisInboxClient;
  /** How long an id is remembered: a duplicate arriving later is handled again. Default 86400 (a day). */
  readonly ttlSeconds?: number;
  /** Key prefix; the key is `<prefix><group>:<event id>`. Default `eventwire:inbox:`. */
  readonly prefix?: string;
}

/**
 * The Redis inbox, for handlers whose effects are not in a database: `SET key NX` with a time to
 * live before the handler runs; an id already set is a duplicate, acknowledged and counted. A
 * handler that fails deletes the mark, so the retry runs. Weaker than the PostgreSQL inbox: the
 * mark and the effects are not one transaction, so a process killed while the handler runs leaves
 * the mark, and the redelivery is skipped (its effects may be half done); and an id is forgotten
 * after `ttlSeconds`.
 *
 * @example
 * const inbox = createRedisInbox({ redis });
 * createConsumer({ topic: 'emails', groupId: 'mailer', middleware: [inbox.middleware], handlers });
 */
export function createRedisInbox(options: RedisInboxOptions): Inbox<object> {
  const given = expectObject('createRedisInbox options', options);
  expectKnownKeys('createRedisInbox options', given, ['redis', 'ttlSeconds', 'prefix']);
  const redis = given.redis;
  if (typeof redis !== 'object' || redis === null || typeof (redis as Partial<RedisInboxClient>).set !== 'function' || typeof (redis as Partial<RedisInboxClient>).del !== 'function') {
    throw new InvalidArgumentError('redis', `Expected \`redis\` to be an ioredis client (with set and del), got ${describe(redis)}.`);
  }
  const client = redis as RedisInboxClient;
  const ttlSeconds = expectInteger('ttlSeconds', given.ttlSeconds ?? 86_400, 1);
  const prefix = expectString('prefix', given.prefix ?? 'eventwire:inbox:');
  const stats: InboxStats = { handled: 0, duplicates: 0 };
  const middleware: Middleware = (next: Link) => async (message, ctx) => {
    const key = `${prefix}${ctx.groupId}:${inboxEventId(message)}`;
    const marked = await client.set(key, '1', 'EX', ttlSeconds, 'NX');
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
