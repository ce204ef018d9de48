import type { RedisClient } from './client.js';
import { firstError } from './codec.js';

/**
 * The delivery counters of pending entries `ids` of `group` on `topic`, in their order, from one
 * pipeline of XPENDING (one stream: one hash slot). An entry no longer pending (its former owner
 * acknowledged it meanwhile) has `undefined`.
 *
 * @example
 * const counts = await deliveryCounts(redis, 'orders', 'billing', ['1-0', '2-0']); // [2, undefined]
 */
export async function deliveryCounts(redis: Pick<RedisClient, 'pipeline'>, topic: string, group: string, ids: readonly string[]): Promise<(number | undefined)[]> {
  if (ids.length === 0) return [];
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.xpending(topic, group, id, id, 1);
  const replies = await pipeline.exec();
  const failure = firstError(replies);
  if (failure !== undefined) throw failure;
  return (replies ?? []).map(([, reply]) => (reply as [[string, string, number, number]?])[0]?.[3]);
}
