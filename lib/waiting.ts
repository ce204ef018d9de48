/**
 * Promise helpers the adapters share: bounding a wait, cutting it short on an abort signal, and
 * a promise resolved from outside. Broker clients can hang on a silent peer; these are how every
 * adapter keeps its stop, close and publish bounded.
 */

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
    listen(signal, reject);
    work.then(resolve, reject).finally(() => unlisten(signal, reject));
  });
}

/**
 * One 'abort' listener per signal, however many waiters it has: the core shares one signal among
 * the publishes of a deadline window, and each listener an EventTarget adds or removes scans all
 * the others, which made hundreds of publishes in flight quadratic.
 */
const waitersOf = new WeakMap<AbortSignal, Set<(reason: unknown) => void>>();

/**
 * Calls `onAbort` with the signal's reason when it aborts (at once when it has), unless
 * {@link unlisten} removed it first. Adding the same function twice calls it once.
 *
 * @example
 * listen(signal, finish); // ... later, when done: unlisten(signal, finish);
 */
export function listen(signal: AbortSignal, onAbort: (reason: unknown) => void): void {
  if (signal.aborted) return onAbort(signal.reason);
  let waiters = waitersOf.get(signal);
  if (waiters === undefined) {
    const all = new Set<(reason: unknown) => void>();
    signal.addEventListener('abort', () => {
      const called = [...all];
      all.clear();
      for (const waiter of called) waiter(signal.reason);
    }, { once: true });
    waitersOf.set(signal, (waiters = all));
  }
  waiters.add(onAbort);
}

/**
 * Forgets a function {@link listen} registered; nothing happens when it was not.
 *
 * @example
 * unlisten(signal, finish);
 */
export function unlisten(signal: AbortSignal, onAbort: (reason: unknown) => void): void {
  waitersOf.get(signal)?.delete(onAbort);
}
