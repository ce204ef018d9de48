import { strict as assert } from 'node:assert';
import { listen, unlisten } from '../../lib/waiting.js';

describe('listen / unlisten', () => {
  it('keeps each signal’s waiters apart when calls alternate between signals', () => {
    const first = new AbortController();
    const second = new AbortController();
    const called: string[] = [];
    const a = (reason: unknown): void => void called.push(`a:${String(reason)}`);
    const b = (reason: unknown): void => void called.push(`b:${String(reason)}`);
    const c = (reason: unknown): void => void called.push(`c:${String(reason)}`);
    const onFirst = listen(first.signal, a);
    listen(second.signal, b);
    listen(first.signal, c);
    // Removing from a signal other than the last one listened on, twice.
    unlisten(onFirst);
    unlisten(onFirst);
    first.abort('one');
    assert.deepEqual(called, ['c:one']);
    second.abort('two');
    assert.deepEqual(called, ['c:one', 'b:two']);
  });

  it('calls a waiter at once on a signal that aborted, and never again', () => {
    const controller = new AbortController();
    controller.abort('gone');
    const called: unknown[] = [];
    const listening = listen(controller.signal, (reason) => void called.push(reason));
    assert.deepEqual(called, ['gone']);
    assert.equal(listening, undefined, 'nothing is left to remove');
    unlisten(listening);
  });

  it('forgets a waiter removed before the abort, and calls each other registration once', () => {
    const controller = new AbortController();
    let calls = 0;
    const waiter = (): void => void (calls += 1);
    const removed = listen(controller.signal, waiter);
    listen(controller.signal, waiter);
    unlisten(removed);
    controller.abort();
    assert.equal(calls, 1, 'the same function listened twice waits twice');
    controller.signal.dispatchEvent(new Event('abort'));
    assert.equal(calls, 1, 'never again');
  });
});
