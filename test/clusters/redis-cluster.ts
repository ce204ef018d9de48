import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { Cluster } from 'ioredis';

/** The local Redis Cluster of scripts/clusters.sh: the three nodes created as primaries. */
export const redisClusterNodes = [27001, 27002, 27003].map((port) => `redis://127.0.0.1:${port}`);

/**
 * `count` stream names (`<prefix>-<n>-<random>`) whose hash slots are served by `count`
 * different primaries, and the primary (`host:port`) of each.
 */
export async function namesOnDistinctPrimaries(admin: Cluster, prefix: string, count: number): Promise<{ name: string; node: string }[]> {
  const found = new Map<string, string>();
  for (let attempt = 0; found.size < count && attempt < 1000; attempt += 1) {
    const name = `${prefix}-${attempt}-${randomBytes(3).toString('hex')}`;
    const slot = Number(await admin.cluster('KEYSLOT', name));
    const node = admin.slots[slot]?.[0];
    if (node !== undefined && !found.has(node)) found.set(node, name);
  }
  assert.equal(found.size, count, `found names on ${found.size} primaries, wanted ${count}`);
  return [...found].map(([node, name]) => ({ name, node }));
}
