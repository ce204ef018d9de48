import { strict as assert } from 'node:assert';
import { AckBatcher, type AckClient } from '../../adapters/redis/ack-batcher.js';
import { deferred, type Deferred } from '../support/wait.js';

/** An XACK client whose replies stay in flight until the test settles them. */
function held() {
  const calls: { topic: string; group: string; ids: string[]; reply: Deferred<number> }[] = [];
  const client: AckClient = {
    xack(topic, group, ...ids) {
      const reply = deferred<number>();
      calls.push({ topic, group, ids, reply });
      return reply.promise;
    },
  };
  const answered: { topic: string; ids: readonly string[] }[] = [];
  const failed: { topic: string; ids: readonly string[]; error: unknown }[] = [];
  let changes = 0;
  let onChange = (): void => {};
  const hooks = {
    answered: (topic: string, ids: readonly string[]) => void answered.push({ topic, ids }),
    failed: (topic: string, ids: readonly string[], error: unknown) => void failed.push({ topic, ids, error }),
    changed: () => {
      changes += 1;
      onChange();
    },
  };
  /** Resolves on the next changed() call. */
  const nextChange = (): Promise<void> => new Promise((resolve) => (onChange = resolve));
  return { client, hooks, calls, answered, failed, changes: () => changes, nextChange };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Redis ack batcher', () => {
  it('sends the entries added in one event-loop turn as one XACK per topic, at the end of the turn', async () => {
    const { client, hooks, calls } = held();
    const acks = new AckBatcher(client, 'g', hooks);
    acks.add('a', '1-0');
    acks.add('b', '5-0');
    acks.add('a', '2-0');
    assert.equal(calls.length, 0, 'nothing is sent before the end of the turn');
    assert.equal(acks.idle, false, 'queued XACKs count');
    await turn();
    assert.deepEqual(
      calls.map(({ topic, group, ids }) => ({ topic, group, ids })),
      [
        { topic: 'a', group: 'g', ids: ['1-0', '2-0'] },
        { topic: 'b', group: 'g', ids: ['5-0'] },
      ],
    );
    acks.add('a', '3-0');
    await turn();
    assert.deepEqual(calls[2]?.ids, ['3-0'], 'a later turn sends a new XACK without waiting for the replies');
    for (const call of calls) call.reply.resolve(call.ids.length);
  });

  it('flush() sends the queued XACKs at once, one per topic, and the end of the turn sends nothing more', async () => {
    const { client, hooks, calls, answered } = held();
    const acks = new AckBatcher(client, 'g', hooks);
    acks.flush();
    assert.equal(calls.length, 0, 'nothing queued, nothing sent');
    acks.add('a', '1-0');
    acks.add('b', '5-0');
    acks.add('a', '2-0');
    acks.flush();
    assert.deepEqual(
      calls.map(({ topic, ids }) => ({ topic, ids })),
      [
        { topic: 'a', ids: ['1-0', '2-0'] },
        { topic: 'b', ids: ['5-0'] },
      ],
    );
    acks.add('a', '3-0');
    await turn();
    assert.deepEqual(calls.map(({ ids }) => ids), [['1-0', '2-0'], ['5-0'], ['3-0']], 'an entry added after the flush goes at the end of the turn');
    for (const { reply } of calls) reply.resolve(1);
    await turn();
    assert.equal(answered.length, 3);
    assert.equal(acks.idle, true, 'awaited like any other XACK');
  });

  it('releases the entries and reports a change once each reply arrived, and is idle after the last', async () => {
    const { client, hooks, calls, answered, failed, changes } = held();
    const acks = new AckBatcher(client, 'g', hooks);
    acks.add('a', '1-0');
    acks.add('b', '2-0');
    await turn();
    calls[0]?.reply.resolve(1);
    await turn();
    assert.deepEqual(answered, [{ topic: 'a', ids: ['1-0'] }]);
    assert.equal(changes(), 1);
    assert.equal(acks.idle, false, 'the XACK of b is still awaited');
    calls[1]?.reply.resolve(1);
    await turn();
    assert.deepEqual(answered.at(-1), { topic: 'b', ids: ['2-0'] });
    assert.equal(acks.idle, true);
    assert.deepEqual(failed, []);
  });

  it('reports a failed XACK and releases its entries all the same (Redis delivers them again)', async () => {
    const { client, hooks, calls, answered, failed } = held();
    const acks = new AckBatcher(client, 'g', hooks);
    acks.add('a', '1-0');
    await turn();
    const error = new Error('connection lost');
    calls[0]?.reply.reject(error);
    await turn();
    assert.deepEqual(failed, [{ topic: 'a', ids: ['1-0'], error }]);
    assert.deepEqual(answered, [{ topic: 'a', ids: ['1-0'] }]);
    assert.equal(acks.idle, true);
  });

  it('after stop(), gives up on an unanswered XACK after the stop wait, also one sent after stopping', async () => {
    const { client, hooks, calls, answered, nextChange } = held();
    const acks = new AckBatcher(client, 'g', hooks, 1);
    acks.add('a', '1-0');
    await turn();
    acks.add('a', '2-0');
    acks.stop();
    while (!acks.idle) await nextChange();
    assert.equal(calls.length, 2, 'the XACK queued before stop() is still sent');
    assert.equal(acks.idle, true, 'neither reply came, and neither is awaited any more');
    assert.deepEqual(answered, []);
    calls[0]?.reply.resolve(1);
    await turn();
    assert.deepEqual(answered, [{ topic: 'a', ids: ['1-0'] }], 'a late reply still releases its entries');
    calls[1]?.reply.resolve(1);
  });
});
