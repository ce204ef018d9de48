/**
 * Promise helpers the adapters share: bounding a wait, cutting it short on an abort signal, and
 * a promise resolved from outside. Broker clients can hang on a silent peer; these are how every
 * adapter keeps its stop, close and publish bounded.
 */

import { WaiterList, type Waiter, type Waiting } from './waiter-list.js';

/** A promise with its resolve and reject functions. */
export type Deferred<T> = PromiseWithResolvers<T>;

/**
 * A promise to settle from elsewhere: `Promise.withResolvers` (ES2024, Node 22), with `void` as
 * the default type so that `deferred().resolve()` needs no argument.
 *
 * @example
 * const joined = deferred(); consumer.on('joined', () => joined.resolve()); await joined.promise;
 */
export function deferred<T = void>(): Deferred<T> {
  return Promise.withResolvers<T>();
}

/**
 * Waits for `work` at most `ms`. Never rejects: true when `work` settled (either way) in time,
 * false when the time ran out first. `work` goes on unobserved after that.
 *
 * @example
 * if (!(await bounded(connection.close(), 3_000))) socket.destroy();
 */
export async function bounded(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  const settled = await Promise.race([work.then(() => true, () => true), late]);
  clearTimeout(timer);
  return settled;
}

/**
 * `work`, or a rejection with the signal's reason as soon as it aborts (at once when it already
 * has). A later rejection of `work` is then observed and ignored, never unhandled.
 *
 * @example
 * await abortable(channel.waitForConfirms(), signal);
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work;
  work.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const listening = listen(signal, reject);
    work.then(resolve, reject).finally(() => unlisten(listening));
  });
}

/**
 * One 'abort' listener per signal, however many waiters it has: the core shares one signal among
 * the publishes of a deadline window, and each listener an EventTarget adds or removes scans all
 * the others, which made hundreds of publishes in flight quadratic.
 */
const waitersOf = new WeakMap<AbortSignal, WaiterList>();

/**
 * Calls `onAbort` with the signal's reason when it aborts, unless {@link unlisten} removed it
 * first. On a signal that aborted already it is called at once and `undefined` is returned.
 * Returns the handle to remove it with; each call waits on its own.
 *
 * @example
 * const listening = listen(signal, finish); // ... later, when done: unlisten(listening);
 */
export function listen(signal: AbortSignal, onAbort: Waiter): Waiting | undefined {
  if (signal.aborted) return void onAbort(signal.reason);
  let waiters = waitersOf.get(signal);
  if (waiters === undefined) {
    const list = new WaiterList();
    signal.addEventListener('abort', () => list.fire(signal.reason), { once: true });
    waitersOf.set(signal, (waiters = list));
  }
  return waiters.add(onAbort);
}

/**
 * Forgets a waiter {@link listen} registered; nothing happens when it was called or removed
 * already, or when `listening` is `undefined` (the signal had aborted).
 *
 * @example
 * unlisten(listening);
 */
export function unlisten(listening: Waiting | undefined): void {
  listening?.cancel();
}
