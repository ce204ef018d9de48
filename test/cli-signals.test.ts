import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { repeatWindowMs, watchSignals, type WatchedSignals } from '../lib/cli/signals.js';
import type { SignalSource } from '../lib/cli/io.js';

// The signal counting of the CLI, with a clock the test moves: a repeat of the same signal
// within the window is one request delivered twice (a launcher forwarding the terminal's Ctrl-C),
// a later one or another signal is a second request.

describe('eventwire CLI: counting stop signals', function () {
  let clock = 0;
  let emitter: EventEmitter;
  let watched: WatchedSignals | undefined;
  const watch = (): WatchedSignals => (watched = watchSignals(emitter as unknown as SignalSource, () => clock));
  const settled = async (promise: Promise<unknown>): Promise<boolean> => {
    let done = false;
    void promise.then(() => (done = true));
    // Settled promises run their reactions before a macrotask: one turn is enough to tell.
    await new Promise<void>((resolve) => setImmediate(resolve));
    return done;
  };

  beforeEach(() => {
    clock = 1_000_000;
    emitter = new EventEmitter();
  });
  afterEach(() => watched?.dispose());

  it('counts a repeat of the same signal within the window once', async function () {
    const signals = watch();
    emitter.emit('SIGINT', 'SIGINT');
    clock += 30; // tsx relays after 30 ms
    emitter.emit('SIGINT', 'SIGINT');
    clock += repeatWindowMs - 31;
    emitter.emit('SIGINT', 'SIGINT');
    assert.equal(await signals.first, 'SIGINT');
    assert.equal(await settled(signals.second), false, 'a forwarded copy counted as a second Ctrl-C');
  });

  it('counts the same signal again once the window has passed', async function () {
    const signals = watch();
    emitter.emit('SIGINT', 'SIGINT');
    clock += repeatWindowMs;
    emitter.emit('SIGINT', 'SIGINT');
    assert.equal(await settled(signals.second), true);
    assert.equal(await signals.second, 'SIGINT');
  });

  it('counts another signal at once', async function () {
    const signals = watch();
    emitter.emit('SIGTERM', 'SIGTERM');
    emitter.emit('SIGINT', 'SIGINT');
    assert.equal(await signals.first, 'SIGTERM');
    assert.equal(await signals.second, 'SIGINT');
  });

  it('once disposed, ignores signals instead of giving them their default action back', async function () {
    const signals = watch();
    signals.dispose();
    watched = undefined;
    // Still listening: a process signalled after the command ended keeps the exit code it chose.
    assert.equal(emitter.listenerCount('SIGINT'), 1);
    assert.equal(emitter.listenerCount('SIGTERM'), 1);
    emitter.emit('SIGTERM', 'SIGTERM');
    const counted = await Promise.race([signals.first.then(() => true), new Promise<false>((resolve) => setImmediate(() => resolve(false)))]);
    assert.equal(counted, false);
  });
});
