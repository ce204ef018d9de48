import { strict as assert } from 'node:assert';
import { StallGuard, type StallGuardOptions } from '../../adapters/kafka/stall-guard.js';

/** A guard on a hand-driven clock: `advance` moves time, `check()` runs one check. */
function guardAt(overrides: Partial<StallGuardOptions> = {}) {
  const clock = { now: 1_000 };
  const calls = { lagging: 0, rejoin: 0 };
  const state = { busy: false, lag: true as boolean | Error };
  const guard = new StallGuard({
    timeoutMs: 10_000,
    now: () => clock.now,
    busy: () => state.busy,
    lagging: async () => {
      calls.lagging += 1;
      if (state.lag instanceof Error) throw state.lag;
      return state.lag;
    },
    rejoin: async () => void (calls.rejoin += 1),
    ...overrides,
  });
  return { guard, clock, calls, state, advance: (ms: number) => void (clock.now += ms) };
}

describe('Kafka stall guard', () => {
  it('rejoins a member that fetched nothing for the timeout while messages wait', async () => {
    const { guard, calls, advance } = guardAt();
    advance(9_999);
    assert.equal(await guard.check(), false, 'not yet: under the timeout');
    assert.equal(calls.lagging, 0, 'the broker is not asked before the timeout');
    advance(1);
    assert.equal(await guard.check(), true);
    assert.deepEqual(calls, { lagging: 1, rejoin: 1 });
    assert.equal(guard.rejoins, 1);
    assert.equal(guard.state, 'watching');
    assert.equal(await guard.check(), false, 'the clock starts again after a rejoin');
  });

  it('counts a completed fetch as progress', async () => {
    const { guard, calls, advance } = guardAt();
    advance(9_000);
    guard.fetched();
    advance(9_000);
    assert.equal(await guard.check(), false);
    assert.equal(calls.rejoin, 0);
  });

  it('never rejoins while callbacks run: kafkajs does not fetch meanwhile', async () => {
    const { guard, calls, state, advance } = guardAt();
    state.busy = true;
    advance(60_000);
    assert.equal(await guard.check(), false);
    state.busy = false;
    advance(9_000);
    assert.equal(await guard.check(), false, 'the idle time counts from the end of the last callback');
    assert.equal(calls.rejoin, 0);
  });

  it('does not rejoin when nothing waits, or when the broker cannot be asked', async () => {
    const { guard, calls, state, advance } = guardAt();
    state.lag = false;
    advance(10_000);
    assert.equal(await guard.check(), false);
    state.lag = new Error('ECONNREFUSED');
    advance(10_000);
    assert.equal(await guard.check(), false);
    assert.deepEqual(calls, { lagging: 2, rejoin: 0 });
  });

  it('after a failed rejoin keeps watching, and the next check tries again', async () => {
    let attempts = 0;
    const { guard, advance } = guardAt({
      rejoin: async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('broker gone again');
      },
    });
    advance(10_000);
    await assert.rejects(guard.check(), /broker gone again/);
    assert.equal(guard.state, 'watching');
    advance(10_000);
    assert.equal(await guard.check(), true);
    assert.equal(attempts, 2);
  });

  it('runs one rejoin at a time, and none once stopped', async () => {
    let finish: () => void = () => {};
    const { guard, calls, advance } = guardAt({ rejoin: () => new Promise<void>((resolve) => (finish = resolve)) });
    advance(10_000);
    const first = guard.check();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(guard.state, 'stalled');
    assert.equal(await guard.check(), false, 'a second check while rejoining does nothing');
    finish();
    assert.equal(await first, true);
    guard.stop();
    advance(60_000);
    assert.equal(await guard.check(), false);
    assert.equal(guard.state, 'stopped');
    assert.equal(calls.lagging, 1);
  });
});
