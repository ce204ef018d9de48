import { deferred } from '../../lib/waiting.js';

/** Tests share the library's own deferred. */
export { deferred, type Deferred } from '../../lib/waiting.js';

/**
 * Waits for a promise, failing with a message that names what was awaited when it takes longer
 * than `ms`. Tests wait on events this way, never with fixed sleeps.
 *
 * @example
 * const event = await withTimeout(received.promise, 5000, 'user.created to reach the worker');
 */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Resolves once `count` values were pushed, with those values.
 *
 * @example
 * const seen = collector<string>(3); handler = async (m) => seen.push(m.id); await seen.done;
 */
export function collector<T>(count: number): { readonly items: T[]; push(item: T): void; readonly done: Promise<T[]> } {
  const items: T[] = [];
  const finished = deferred<T[]>();
  if (count === 0) finished.resolve(items);
  return {
    items,
    push(item: T) {
      items.push(item);
      if (items.length === count) finished.resolve(items);
    },
    done: finished.promise,
  };
}
