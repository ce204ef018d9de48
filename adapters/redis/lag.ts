import type { Redis } from 'ioredis';
import type { TopicLag } from '../../lib/broker.js';
import { firstError } from './codec.js';

/**
 * The lag of the consumer group `groupId` on each stream of `topics`, from `XINFO GROUPS` (one
 * pipelined round trip): `messages` is Redis's `lag` (entries added to the stream and not yet
 * delivered to the group), `pending` the group's pending entries list (delivered to a member and
 * not acknowledged: in flight, waiting for a retry, or left by a member that died). Redis leaves
 * `lag` out before 7.0 and answers nil when it cannot count it (entries deleted with XDEL inside
 * the unread range, a group moved with XGROUP SETID); such a topic is left out rather than
 * guessed, as is a stream or group that does not exist.
 *
 * @example
 * await redisLag(redis, 'billing', ['orders']); // [{ topic: 'orders', groupId: 'billing', messages: 4, pending: 1 }]
 */
export async function redisLag(redis: Redis, groupId: string, topics: readonly string[]): Promise<TopicLag[]> {
  const pipeline = redis.pipeline();
  for (const topic of topics) pipeline.xinfo('GROUPS', topic);
  const replies = await pipeline.exec();
  // A stream that does not exist (no group subscribed yet) is not an error here.
  const failure = firstError(replies, (error) => !error.message.includes('no such key'));
  if (failure !== undefined) throw failure;
  const lags: TopicLag[] = [];
  topics.forEach((topic, index) => {
    const [error, groups] = replies?.[index] ?? [null, undefined];
    const found = error === null && Array.isArray(groups) ? groups.map(fieldsOf).find((group) => group.get('name') === groupId) : undefined;
    const lag = found?.get('lag');
    const pending = found?.get('pending');
    if (typeof lag === 'number') lags.push({ topic, groupId, messages: lag, pending: typeof pending === 'number' ? pending : undefined });
  });
  return lags;
}

/** A flat `[name, value, name, value…]` reply as a map; names are read as text. */
function fieldsOf(reply: unknown): Map<string, unknown> {
  const fields = new Map<string, unknown>();
  if (!Array.isArray(reply)) return fields;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const value: unknown = reply[i + 1];
    fields.set(String(reply[i]), Buffer.isBuffer(value) ? value.toString() : value);
  }
  return fields;
}
