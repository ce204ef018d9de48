import type { TopicLag } from '../../lib/broker.js';
import type { RedisClient } from './client.js';

/**
 * The lag of the consumer group `groupId` on each stream of `topics`, from `XINFO GROUPS` (one
 * command per stream, sent together; not a pipeline, whose streams a cluster may serve from
 * different nodes): `messages` is Redis's `lag` (entries added to the stream and not yet
 * delivered to the group), `pending` the group's pending entries list (delivered to a member and
 * not acknowledged: in flight, waiting for a retry, or left by a member that died). Redis leaves
 * `lag` out before 7.0 and answers nil when it cannot count it (entries deleted with XDEL inside
 * the unread range, a group moved with XGROUP SETID); such a topic is left out rather than
 * guessed, as is a stream or group that does not exist.
 *
 * @example
 * await redisLag(redis, 'billing', ['orders']); // [{ topic: 'orders', groupId: 'billing', messages: 4, pending: 1 }]
 */
export async function redisLag(redis: RedisClient, groupId: string, topics: readonly string[]): Promise<TopicLag[]> {
  const replies = await Promise.all(
    topics.map((topic) =>
      redis.xinfo('GROUPS', topic).catch((error: unknown) => {
        // A stream that does not exist (no group subscribed yet) is not an error here: Redis
        // answers it with a generic ERR, whose text is all that tells it apart.
        if (error instanceof Error && error.message.includes('no such key')) return undefined;
        throw error;
      }),
    ),
  );
  const lags: TopicLag[] = [];
  topics.forEach((topic, index) => {
    const groups = replies[index];
    const found = Array.isArray(groups) ? groups.map(fieldsOf).find((group) => group.get('name') === groupId) : undefined;
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
