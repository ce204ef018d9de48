import { strict as assert } from 'node:assert';
import { coalesce } from '../../lib/publishing/coalesce.js';
import { abortable, deferred, type Deferred } from '../../lib/waiting.js';
import { withTimeout } from '../support/wait.js';

/**
 * The coalescer behind Kafka publishes: one request in flight, later pushes merged into the
 * next request in order, bounded, each caller settled by its own request or its own signal.
 */

type Request = { readonly items: readonly string[]; readonly done: Deferred<void> };

function recorder(): { readonly requests: Request[]; send(items: readonly string[]): Promise<void> } {
  const requests: Request[] = [];
  return {
    requests,
    send(items) {
      const done = deferred();
      requests.push({ items: [...items], done });
      return done.promise;
    },
  };
}

const limits = { maxItems: 100, maxBytes: 1000 };
const outcome = (promise: Promise<void>): Promise<string> => promise.then(() => 'sent', (error: unknown) => `failed: ${String(error)}`);

describe('coalesce', () => {
  it('sends a lone item at once, in the caller’s turn', async () => {
    const wire = recorder();
    const lane = coalesce(wire.send, limits);
    const sent = lane.push('a', 1);
    assert.deepEqual(wire.requests.map((request) => request.items), [['a']]);
    wire.requests[0]?.done.resolve();
    await withTimeout(sent, 1000, 'the push to resolve');
  });

  it('merges the items pushed while a request is in flight into the next request, in order', async () => {
    const wire = recorder();
    const lane = coalesce(wire.send, limits);
    const first = lane.push('a', 1);
    const rest = ['b', 'c', 'd'].map((item) => lane.push(item, 1));
    assert.equal(wire.requests.length, 1, 'nothing more is sent while a request is in flight');
    wire.requests[0]?.done.resolve();
    await withTimeout(first, 1000, 'the first push');
    assert.deepEqual(wire.requests.map((request) => request.items), [['a'], ['b', 'c', 'd']]);
    wire.requests[1]?.done.resolve();
    await withTimeout(Promise.all(rest), 1000, 'the merged pushes');
  });

  it('splits waiting items by count and by bytes, and sends an oversized item alone', async () => {
    const wire = recorder();
    const lane = coalesce(wire.send, { maxItems: 2, maxBytes: 10 });
    const pushes = [lane.push('first', 1), lane.push('a', 1), lane.push('b', 1), lane.push('c', 6), lane.push('d', 6), lane.push('huge', 50), lane.push('e', 1)];
    for (let index = 0; index < 5; index += 1) {
      const request = wire.requests[index];
      assert.ok(request !== undefined, `request ${index + 1} was sent`);
      request.done.resolve();
      await withTimeout(new Promise((resolve) => setImmediate(resolve)), 1000, 'a turn');
    }
    assert.deepEqual(wire.requests.map((request) => request.items), [['first'], ['a', 'b'], ['c'], ['d'], ['huge'], ['e']]);
    wire.requests[5]?.done.resolve();
    await withTimeout(Promise.all(pushes), 1000, 'every push');
  });

  it('rejects every caller of a failed request and goes on with the next one', async () => {
    const wire = recorder();
    const lane = coalesce(wire.send, limits);
    const first = outcome(lane.push('a', 1));
    const second = outcome(lane.push('b', 1));
    const third = outcome(lane.push('c', 1));
    wire.requests[0]?.done.resolve();
    assert.equal(await first, 'sent');
    wire.requests[1]?.done.reject(new Error('broker down'));
    assert.deepEqual(await Promise.all([second, third]), ['failed: Error: broker down', 'failed: Error: broker down']);
    const later = lane.push('d', 1);
    assert.deepEqual(wire.requests.at(-1)?.items, ['d'], 'the lane is free again after a failure');
    wire.requests.at(-1)?.done.resolve();
    await withTimeout(later, 1000, 'the push after the failure');
  });

  it('turns a send that throws into a rejection', async () => {
    const lane = coalesce<string>(() => {
      throw new Error('bad request');
    }, limits);
    assert.equal(await outcome(lane.push('a', 1)), 'failed: Error: bad request');
  });

  it('drops a waiting item whose signal aborts: rejected with the reason and never sent', async () => {
    const wire = recorder();
    const lane = coalesce(wire.send, limits);
    const first = lane.push('a', 1);
    const controller = new AbortController();
    const dropped = outcome(lane.push('b', 1, controller.signal));
    const kept = lane.push('c', 1);
    controller.abort(new Error('too late'));
    assert.equal(await dropped, 'failed: Error: too late');
    wire.requests[0]?.done.resolve();
    await withTimeout(first, 1000, 'the first push');
    assert.deepEqual(wire.requests.map((request) => request.items), [['a'], ['c']]);
    wire.requests[1]?.done.resolve();
    await withTimeout(kept, 1000, 'the kept push');
  });

  it('rejects a sent item at once when its signal aborts, and ignores the request’s later outcome', async () => {
    const wire = recorder();
    const lane = coalesce(wire.send, limits);
    const controller = new AbortController();
    const sent = outcome(lane.push('a', 1, controller.signal));
    controller.abort(new Error('deadline'));
    assert.equal(await sent, 'failed: Error: deadline');
    wire.requests[0]?.done.reject(new Error('ignored'));
    const next = lane.push('b', 1);
    await withTimeout(new Promise((resolve) => setImmediate(resolve)), 1000, 'a turn');
    assert.deepEqual(wire.requests.at(-1)?.items, ['b']);
    wire.requests.at(-1)?.done.resolve();
    await withTimeout(next, 1000, 'the next push');
  });

  it('rejects at once when the signal aborted before the push', async () => {
    const wire = recorder();
    const lane = coalesce(wire.send, limits);
    assert.equal(await outcome(lane.push('a', 1, AbortSignal.abort(new Error('gone')))), 'failed: Error: gone');
    assert.equal(wire.requests.length, 0);
  });
});

describe('abortable', () => {
  it('adds one abort listener per signal however many waits share it, and rejects them all on abort', async () => {
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    controller.signal.addEventListener = (...args: Parameters<AbortSignal['addEventListener']>) => {
      listeners += 1;
      add(...args);
    };
    const waits = Array.from({ length: 50 }, () => outcome(abortable(new Promise<void>(() => {}), controller.signal)));
    assert.equal(listeners, 1);
    controller.abort(new Error('stop'));
    assert.deepEqual(new Set(await Promise.all(waits)), new Set(['failed: Error: stop']));
  });
});
