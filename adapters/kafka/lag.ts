import type { Admin } from 'kafkajs';
import type { TopicLag } from '../../lib/broker.js';

/**
 * The lag of `groupId` on each partition of `topics`: the partition's log end offset (high
 * watermark) minus the group's committed offset, read with the admin client (the group's
 * committed offsets and the topics' ends, one request each, after a topic listing). Offsets are
 * committed once callbacks resolved, so messages in flight count until their commit. A
 * partition the group never committed is left out: eventwire commits a new group's starting
 * offsets at its first assignment, so this covers a group that has not joined yet, whose start
 * (the end of the log at that moment) is not known. A topic that does not exist is left out.
 *
 * @example
 * await kafkaLag(admin, 'billing', ['orders']); // [{ topic: 'orders', groupId: 'billing', partition: 0, messages: 5 }, …]
 */
export async function kafkaLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<TopicLag[]> {
  // Asked first: kafkajs retries an unknown topic for seconds before it gives up.
  const existing = new Set(await admin.listTopics());
  const present = topics.filter((topic) => existing.has(topic));
  if (present.length === 0) return [];
  const [committed, ends] = await Promise.all([
    admin.fetchOffsets({ groupId, topics: present }),
    Promise.all(present.map(async (topic) => ({ topic, partitions: await admin.fetchTopicOffsets(topic) }))),
  ]);
  const lags: TopicLag[] = [];
  for (const { topic, partitions } of committed) {
    const end = ends.find((candidate) => candidate.topic === topic)?.partitions ?? [];
    for (const { partition, offset } of partitions) {
      const high = end.find((candidate) => candidate.partition === partition)?.high;
      if (Number(offset) < 0 || high === undefined) continue;
      lags.push({ topic, groupId, partition, messages: Math.max(0, Number(high) - Number(offset)) });
    }
  }
  return lags.sort((a, b) => a.topic.localeCompare(b.topic) || (a.partition ?? 0) - (b.partition ?? 0));
}
