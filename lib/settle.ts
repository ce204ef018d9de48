/**
 * Promise helpers the adapters share: bounding a wait, cutting it short on an abort signal, and
 * a promise resolved from outside. Broker clients can hang on a silent peer; these are how every
 * adapter keeps its stop, close and publish bounded.
 */

/** A promise with its resolve and reject functions. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * A promise to settle from elsewhere.
 *
 * @example
 * const joined = deferred(); consumer.on('joined', () => joined.resolve()); await joined.promise;
 */
export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
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
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) {
      onAbort();
      return;
    }
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
