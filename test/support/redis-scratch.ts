import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { brokers, requireBroker } from './require-broker.js';

/** A Redis connection and a key prefix of one describe block; see {@link redisScratch}. */
export interface RedisScratch {
  /** The connection, open from the block's `before` hook to its `after` hook. */
  readonly redis: () => Redis;
  /** Unique to this block: every key the tests write starts with it. */
  readonly prefix: string;
}

/**
 * Registers the calling describe block's hooks: `before` requires Redis and connects, `after`
 * deletes every key under the block's own prefix and disconnects.
 *
 * @example
 * const scratch = redisScratch('inbox');
 * it('...', async () => { await scratch.redis().set(`${scratch.prefix}a`, '1'); });
 */
export function redisScratch(label: string): RedisScratch {
  const prefix = `eventwire:test-${label}:${randomBytes(4).toString('hex')}:`;
  let redis: Redis | undefined;
  before(async function () {
    await requireBroker(this, 'redis');
    redis = new Redis(brokers.redis.url);
  });
  after(async () => {
    if (redis === undefined) return;
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });
  return {
    redis: () => {
      if (redis === undefined) throw new Error('redisScratch: Redis is used outside the tests of its describe block');
      return redis;
    },
    prefix,
  };
}
