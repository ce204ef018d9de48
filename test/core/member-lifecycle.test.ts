import { strict as assert } from 'node:assert';
import { MemberLifecycle } from '../../lib/consuming/member-lifecycle.js';
import { withTimeout } from '../support/wait.js';

/** Whether `promise` has settled once the pending microtasks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('member lifecycle', () => {
  it('counts callbacks in flight and releases idle waiters when the last one ends', async () => {
    const life = new MemberLifecycle();
    assert.equal(await life.idle(), true, 'idle at once with nothing in flight');
    life.begin();
    life.begin();
    const idle = life.idle();
    life.end();
    assert.equal(life.inFlight, 1);
    assert.equal(await settled(idle), false, 'still one in flight');
    life.end();
    assert.equal(await withTimeout(idle, 1_000, 'idle'), true);
    life.end(); // unmatched: ignored
    assert.equal(life.inFlight, 0);
  });

  it('bounds an idle wait: false when the time runs out first', async () => {
    const life = new MemberLifecycle();
    life.begin();
    const started = performance.now();
    assert.equal(await withTimeout(life.idle(20), 5_000, 'the bounded wait'), false);
    assert.ok(performance.now() - started >= 15, 'waited for the bound');
    life.end();
    assert.equal(await life.idle(20), true);
  });

  it('goes running → draining → closed, once', async () => {
    const life = new MemberLifecycle();
    assert.equal(life.phase, 'running');
    assert.equal(life.running, true);
    assert.equal(life.stop(), true);
    assert.equal(life.phase, 'draining');
    assert.equal(life.stop(), false, 'stopping twice does nothing');
    assert.equal(await settled(life.closed), false);
    life.close();
    assert.equal(life.phase, 'closed');
    await withTimeout(life.closed, 1_000, 'closed');
    assert.equal(life.stop(), false);
    assert.equal(life.fail(new Error('late')), false, 'a closed member cannot fail');
    await life.closed;
  });

  it('close releases idle waiters although callbacks are still in flight (the broker instance closed)', async () => {
    const life = new MemberLifecycle();
    life.begin();
    const idle = life.idle();
    life.close();
    assert.equal(await withTimeout(idle, 1_000, 'idle after close'), true);
    assert.equal(await life.idle(), true, 'no wait once closed');
  });

  it('fail rejects `closed` with the error', async () => {
    const life = new MemberLifecycle();
    const error = new Error('subscription failed');
    assert.equal(life.fail(error), true);
    await assert.rejects(life.closed, (thrown) => thrown === error);
    assert.equal(life.phase, 'closed');
  });

  it('stopOn calls stop once on abort, or at once when the signal aborted already', () => {
    const life = new MemberLifecycle();
    const controller = new AbortController();
    let stops = 0;
    assert.equal(life.stopOn(controller.signal, () => (stops += 1)), false);
    assert.equal(stops, 0);
    controller.abort();
    controller.abort();
    assert.equal(stops, 1);
    assert.equal(life.stopOn(AbortSignal.abort(), () => (stops += 1)), true);
    assert.equal(stops, 2);
  });
});
