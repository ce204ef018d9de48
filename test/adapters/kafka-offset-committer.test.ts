import { strict as assert } from 'node:assert';
import { OffsetCommitter, type CommitOffset } from '../../adapters/kafka/offset-committer.js';
import { deferred, type Deferred } from '../support/wait.js';

/** A committer whose commits stay in flight until the test settles them. */
function held() {
  const calls: { offsets: CommitOffset[]; answer: Deferred<void> }[] = [];
  const failures: { offsets: CommitOffset[]; error: unknown }[] = [];
  const committer = new OffsetCommitter(
    (offsets) => {
      const answer = deferred();
      calls.push({ offsets, answer });
      return answer.promise;
    },
    (offsets, error) => void failures.push({ offsets, error }),
  );
  return { committer, calls, failures };
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Kafka offset committer', () => {
  it('commits the next offset after the latest handled message of each partition, one commit in flight', async () => {
    const { committer, calls } = held();
    committer.handled('t', 0, '4');
    await turn();
    assert.deepEqual(calls.map((call) => call.offsets), [[{ topic: 't', partition: 0, offset: '5' }]]);
    committer.handled('t', 0, '5');
    committer.handled('t', 0, '6');
    committer.handled('t', 1, '9');
    await turn();
    assert.equal(calls.length, 1, 'what is handled meanwhile waits for the commit in flight');
    calls[0]?.answer.resolve();
    await turn();
    assert.deepEqual(calls[1]?.offsets, [
      { topic: 't', partition: 0, offset: '7' },
      { topic: 't', partition: 1, offset: '10' },
    ]);
    calls[1]?.answer.resolve();
    await committer.flush();
    assert.equal(committer.pending, false);
  });

  it('sends what is pending at once beside a commit in flight, for a rebalance', async () => {
    const { committer, calls } = held();
    committer.handled('t', 0, '1');
    await turn();
    committer.handled('t', 0, '2');
    assert.equal(committer.pending, true);
    void committer.sendNow();
    assert.equal(calls.length, 2);
    assert.deepEqual(calls[1]?.offsets, [{ topic: 't', partition: 0, offset: '3' }]);
    for (const call of calls) call.answer.resolve();
    await committer.flush();
  });

  it('reports a failed commit and does not retry it', async () => {
    const { committer, calls, failures } = held();
    committer.handled('t', 2, '40');
    await turn();
    const error = new Error('not the coordinator');
    calls[0]?.answer.reject(error);
    await committer.flush();
    assert.equal(calls.length, 1);
    assert.deepEqual(failures, [{ offsets: [{ topic: 't', partition: 2, offset: '41' }], error }]);
  });

  it('flush() waits for every recorded offset, including those recorded while it waits', async () => {
    const { committer, calls } = held();
    committer.handled('t', 0, '1');
    await turn();
    let flushed = false;
    const flushing = committer.flush().then(() => void (flushed = true));
    committer.handled('t', 0, '2');
    calls[0]?.answer.resolve();
    await turn();
    assert.equal(flushed, false, 'the second commit is still in flight');
    assert.equal(calls.length, 2);
    calls[1]?.answer.resolve();
    await flushing;
    assert.equal(flushed, true);
  });
});
