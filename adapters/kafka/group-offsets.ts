import type { Admin } from 'kafkajs';
import type { CommitOffset } from './offset-committer.js';

/** Partitions per topic, as kafkajs reports a member's assignment. */
export type Assigned = Readonly<Record<string, readonly number[]>>;

/** Per topic, per partition: the end offset (high watermark) read at one moment. */
export type Ends = ReadonlyMap<string, ReadonlyMap<number, string>>;

/**
 * The end of every partition of `topics` now, for a new group's start; a topic whose offsets
 * cannot be read yet (no leader right after its creation) is left out.
 *
 * @example
 * const ends = await endsNow(admin, ['orders']);
 */
export async function endsNow(admin: Admin, topics: readonly string[]): Promise<Ends> {
  const ends = new Map<string, Map<number, string>>();
  await Promise.all(
    topics.map(async (topic) => {
      const found = await admin.fetchTopicOffsets(topic).catch(() => undefined);
      if (found !== undefined) ends.set(topic, new Map(found.map(({ partition, high }) => [partition, high])));
    }),
  );
  return ends;
}

/**
 * The partitions of `assigned` that the group never committed, each with where a new group
 * starts: its end when the member subscribed (`subscribedAt`), else its end now. kafkajs resolves
 * "latest" lazily, at its first fetch, and a member's first assignment may come after
 * subscribe() resolved (a new topic whose metadata the group leader did not have yet), so a
 * message published just after subscribe() could be skipped; the member seeks to these and
 * commits them for the whole group instead.
 *
 * @example
 * const starts = await uncommittedStarts(admin, groupId, payload.memberAssignment, subscribedAt);
 */
export async function uncommittedStarts(admin: Admin, groupId: string, assigned: Assigned, subscribedAt: Ends): Promise<CommitOffset[]> {
  const topics = Object.keys(assigned);
  if (topics.length === 0) return [];
  const starts: CommitOffset[] = [];
  for (const { topic, partitions } of await admin.fetchOffsets({ groupId, topics })) {
    const fresh = partitions.filter((p) => Number(p.offset) < 0 && assigned[topic]?.includes(p.partition));
    if (fresh.length === 0) continue;
    const known = subscribedAt.get(topic);
    const now = fresh.some(({ partition }) => known?.get(partition) === undefined) ? await admin.fetchTopicOffsets(topic) : [];
    for (const { partition } of fresh) {
      const offset = known?.get(partition) ?? now.find((end) => end.partition === partition)?.high ?? '0';
      starts.push({ topic, partition, offset });
    }
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
