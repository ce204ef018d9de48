import type { Admin } from 'kafkajs';
import type { CommitOffset } from './offset-committer.js';

/** Partitions per topic, as kafkajs reports a member's assignment. */
export type Assigned = Readonly<Record<string, readonly number[]>>;

/**
 * The partitions of `assigned` that the group never committed, each with the current end of
 * the partition: where a new group starts. kafkajs resolves "latest" lazily, at its first fetch,
 * so a message published just after subscribe() resolved could be skipped; the member seeks to
 * these and commits them for the whole group instead.
 *
 * @example
 * const starts = await uncommittedEnds(admin, groupId, payload.memberAssignment);
 */
export async function uncommittedEnds(admin: Admin, groupId: string, assigned: Assigned): Promise<CommitOffset[]> {
  const topics = Object.keys(assigned);
  if (topics.length === 0) return [];
  const starts: CommitOffset[] = [];
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
    const fresh = partitions.filter((p) => Number(p.offset) < 0 && assigned[topic]?.includes(p.partition));
    if (fresh.length === 0) continue;
    const ends = await admin.fetchTopicOffsets(topic);
    for (const { partition } of fresh) starts.push({ topic, partition, offset: ends.find((end) => end.partition === partition)?.high ?? '0' });
  }
  return starts;
}

/**
 * Whether a partition of `assigned` has messages past the group's committed offset (lag > 0).
 * Rejects when the broker cannot be asked.
 *
 * @example
 * if (await hasLag(admin, groupId, assigned)) rejoin();
 */
export async function hasLag(admin: Admin, groupId: string, assigned: Assigned): Promise<boolean> {
  const topics = Object.keys(assigned).filter((topic) => (assigned[topic] ?? []).length > 0);
  if (topics.length === 0) return false;
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
    const ends = await admin.fetchTopicOffsets(topic);
    for (const { partition, offset } of partitions) {
      if (!(assigned[topic] ?? []).includes(partition)) continue;
      const end = ends.find((candidate) => candidate.partition === partition);
      const from = Number(offset) >= 0 ? Number(offset) : Number(end?.low ?? 0);
      if (Number(end?.high ?? 0) > from) return true;
    }
  }
  return false;
}
