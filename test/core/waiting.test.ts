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
    listen(first.signal, a);
    listen(second.signal, b);
    listen(first.signal, c);
    // Removing from a signal other than the last one listened on.
    unlisten(first.signal, a);
    unlisten(second.signal, a);
    first.abort('one');
    assert.deepEqual(called, ['c:one']);
    second.abort('two');
    assert.deepEqual(called, ['c:one', 'b:two']);
  });

  it('calls a waiter at once on a signal that aborted, and never again', () => {
    const controller = new AbortController();
    controller.abort('gone');
    const called: unknown[] = [];
    listen(controller.signal, (reason) => void called.push(reason));
    assert.deepEqual(called, ['gone']);
  });

  it('forgets a waiter removed before the abort', () => {
    const controller = new AbortController();
    let calls = 0;
    const waiter = (): void => void (calls += 1);
    listen(controller.signal, waiter);
    listen(controller.signal, waiter);
    unlisten(controller.signal, waiter);
    controller.abort();
    assert.equal(calls, 0);
  });
});
