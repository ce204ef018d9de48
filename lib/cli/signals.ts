import { deferred } from '../waiting.js';
import type { SignalSource, StopSignal } from './io.js';

const stopSignals: readonly StopSignal[] = ['SIGTERM', 'SIGINT'];

/**
 * A repeat of the signal last counted, arriving within this many milliseconds of it, is the same
 * request delivered twice, not a second one. Ctrl-C signals the terminal's whole process group,
 * and a launcher in that group may forward its own copy to the worker as well: tsx's command
 * relays it when the worker has not reported it within 30 ms, npm run-script forwards to its
 * child. A person pressing Ctrl-C again after reading "stopping" is well past this window.
 */
export const repeatWindowMs = 1000;

/**
 * SIGTERM and SIGINT, counted: the first asks for a graceful stop, the second for an
 * immediate exit; a repeat of the same signal within {@link repeatWindowMs} counts once. While
 * watched, neither kills the process by default, and the process stays alive although nothing
 * else holds it (the memory broker holds no socket).
 *
 * @example
 * const signals = watchSignals(process);
 * const name = await signals.first; … await signals.second; … signals.dispose();
 */
export interface WatchedSignals {
  /** Resolves with the first signal's name. */
  readonly first: Promise<NodeJS.Signals>;
  /** Resolves with the second signal's name. */
  readonly second: Promise<NodeJS.Signals>;
  /**
   * Stops counting and lets the process end. The listeners stay, ignoring what comes: a signal
   * arriving between the end of the command and the process's exit must not kill it with the
   * signal's default action, which would replace the exit code the command decided.
   */
  dispose(): void;
}

/**
 * Starts watching SIGTERM and SIGINT on `source`; `now` (milliseconds) dates each arrival.
 *
 * @example
 * const signals = watchSignals(process);
 */
export function watchSignals(source: SignalSource, now: () => number = () => performance.now()): WatchedSignals {
  let count = 0;
  let last: { readonly signal: NodeJS.Signals; readonly at: number } | undefined;
  const first = deferred<NodeJS.Signals>();
  const second = deferred<NodeJS.Signals>();
  let disposed = false;
  const listener = (signal: NodeJS.Signals): void => {
    if (disposed) return;
    const at = now();
    if (last !== undefined && last.signal === signal && at - last.at < repeatWindowMs) return;
    last = { signal, at };
    count += 1;
    if (count === 1) first.resolve(signal);
    else if (count === 2) second.resolve(signal);
  };
  for (const signal of stopSignals) source.on(signal, listener);
  // Signal listeners do not keep the event loop alive; without this timer a process waiting
  // only for a signal would end at once (with code 13, an unsettled top-level await in bin).
  const keepAlive = setInterval(() => {}, 2 ** 30);
  return {
    first: first.promise,
    second: second.promise,
    dispose() {
      disposed = true;
      clearInterval(keepAlive);
    },
  };
}
