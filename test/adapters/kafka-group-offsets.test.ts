import { strict as assert } from 'node:assert';
import type { Admin } from 'kafkajs';
import { hasLag, uncommittedStarts } from '../../adapters/kafka/group-offsets.js';

/** The two admin reads these functions make, answered from tables (a unit test: no broker). */
function adminWith(committed: Record<string, Record<number, string>>, ends: Record<string, Record<number, [low: string, high: string]>>): Admin {
  const reads = {
    async fetchOffsets({ topics }: { topics: string[] }) {
      return topics.map((topic) => ({ topic, partitions: Object.entries(committed[topic] ?? {}).map(([partition, offset]) => ({ partition: Number(partition), offset, metadata: null })) }));
    },
    async fetchTopicOffsets(topic: string) {
      return Object.entries(ends[topic] ?? {}).map(([partition, [low, high]]) => ({ partition: Number(partition), offset: high, low, high }));
    },
  };
  return reads as unknown as Admin;
}

describe('Kafka group offsets', () => {
  it('starts a partition the group never committed at its end when the member subscribed, not at its end now', async () => {
    // Partition 0 grew from 10 to 12 between subscribe() and the assignment: messages 10 and 11
    // were published after subscribe() resolved and must be read.
    const admin = adminWith({ t: { 0: '-1', 1: '-1', 2: '7' } }, { t: { 0: ['0', '12'], 1: ['0', '3'], 2: ['0', '9'] } });
    const subscribedAt = new Map([['t', new Map([[0, '10']])]]);
    const starts = await uncommittedStarts(admin, 'g', { t: [0, 1, 2] }, subscribedAt);
    assert.deepEqual(starts, [
      { topic: 't', partition: 0, offset: '10' },
      { topic: 't', partition: 1, offset: '3' }, // unknown at subscribe time: its end now
    ]);
  });

  it('leaves alone partitions that are committed or not assigned to the member', async () => {
    const admin = adminWith({ t: { 0: '5', 1: '-1' } }, { t: { 0: ['0', '9'], 1: ['0', '9'] } });
    assert.deepEqual(await uncommittedStarts(admin, 'g', { t: [0] }, new Map()), []);
    assert.deepEqual(await uncommittedStarts(admin, 'g', {}, new Map()), []);
  });

  it('finds lag only where an assigned partition ends past the committed offset', async () => {
    const admin = adminWith({ t: { 0: '9', 1: '4', 2: '-1' } }, { t: { 0: ['0', '9'], 1: ['0', '6'], 2: ['3', '3'] } });
    assert.equal(await hasLag(admin, 'g', { t: [0] }), false);
    assert.equal(await hasLag(admin, 'g', { t: [0, 1] }), true);
    assert.equal(await hasLag(admin, 'g', { t: [2] }), false, 'never committed and empty since its low offset');
    assert.equal(await hasLag(admin, 'g', {}), false);
  });
});
