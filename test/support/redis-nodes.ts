import type { Cluster, Redis } from 'ioredis';
import { brokers } from './require-broker.js';

/**
 * The Redis the tests use, as `createRedisBroker` takes it: `REDIS_URL`'s one URL, or the
 * nodes of a Redis Cluster when it lists several (separated by commas, as the library splits it).
 */
export function redisUrl(): string | string[] {
  const nodes = brokers.redis.url.split(/,\s*(?=rediss?:\/\/)/i).map((node) => node.trim());
  return nodes.length === 1 ? (nodes[0] as string) : nodes;
}

/**
 * The primary's name at Sentinel, from `REDIS_SENTINEL_NAME` as the library reads it: when set,
 * {@link redisUrl} lists Sentinels rather than the nodes of a Redis Cluster.
 */
export function redisSentinel(): string | undefined {
  const name = process.env.REDIS_SENTINEL_NAME?.trim();
  return name === undefined || name === '' ? undefined : name;
}

/**
 * An ioredis client for {@link redisUrl}: a cluster client when it lists several nodes, a client
 * of the primary when {@link redisSentinel} names one.
 */
export async function redisAdmin(): Promise<Redis | Cluster> {
  const { Cluster, Redis } = await import('ioredis');
  const url = redisUrl();
  const name = redisSentinel();
  if (name !== undefined) {
    const sentinels = [url].flat().map((node) => ({ host: new URL(node).hostname, port: Number(new URL(node).port || 26379) }));
    return new Redis({ sentinels, name });
  }
  return typeof url === 'string' ? new Redis(url) : new Cluster(url);
}

/**
 * Deletes every key matching `pattern` (a SCAN pattern) and closes `admin`. On a cluster each
 * primary is scanned, and each key deleted alone: one DEL of keys of several slots is refused
 * (CROSSSLOT).
 */
export async function deleteKeys(admin: Redis | Cluster, pattern: string): Promise<void> {
  const nodes = admin.isCluster ? (admin as Cluster).nodes('master') : [admin as Redis];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      await Promise.all(keys.map((key) => admin.del(key)));
    } while (cursor !== '0');
  }
  await admin.quit();
}
