import type { Waiting } from '../waiter-list.js';
import { listen, unlisten } from '../waiting.js';

/** Bounds of one coalesced request. */
export interface CoalesceLimits {
  /** At most this many items per request (an item is one caller's batch). */
  readonly maxItems: number;
  /** At most about this many bytes per request; a single larger item still goes, alone. */
  readonly maxBytes: number;
}

/**
 * Sends items through one request at a time, merging the items that arrive while a request is
 * in flight into the next one.
 *
 * @example
 * const lane = coalesce((batches) => producer.sendBatch(toTopicMessages(batches)), { maxItems: 500, maxBytes: 512_000 });
 * await lane.push(batch, byteLength, signal);
 */
export interface Coalescer<T> {
  /**
   * Sends `item` at once when no request is in flight, otherwise with the next request.
   * Resolves when the request carrying it succeeded and rejects with that request's error. When
   * `signal` aborts first, it rejects with the signal's reason: an item still waiting is then
   * never sent; one already sent may still be stored.
   */
  push(item: T, bytes: number, signal?: AbortSignal): Promise<void>;
}

interface Waiter<T> {
  readonly item: T;
  readonly bytes: number;
  /** Settles the caller's promise, once: later calls (after an abort) do nothing. */
  settle(error?: unknown): void;
}

/**
 * Coalesces concurrent sends for a client whose throughput is bound by one request in flight
 * per connection (kafkajs with `maxInFlightRequests: 1`): one hundred concurrent sends become two
 * requests instead of one hundred queued ones, and a lone awaited send goes out at once, in the
 * caller's turn, so its latency does not change. Items keep the order in which they were pushed.
 *
 * @example
 * const lane = coalesce(async (items) => { await client.send(items.flat()); }, { maxItems: 500, maxBytes: 512_000 });
 */
export function coalesce<T>(send: (items: readonly T[]) => Promise<void>, limits: CoalesceLimits): Coalescer<T> {
  let inFlight = false;
  let waiting: Waiter<T>[] = [];

  const run = (batch: readonly Waiter<T>[]): void => {
    inFlight = true;
    let request: Promise<void>;
    try {
      request = send(batch.map((waiter) => waiter.item));
    } catch (error) {
      request = Promise.reject(error);
    }
    request.then(
      () => finish(batch, undefined),
      (error: unknown) => finish(batch, error ?? new Error('The send failed without a reason')),
    );
  };

  const finish = (batch: readonly Waiter<T>[], error: unknown): void => {
    for (const waiter of batch) waiter.settle(error);
    inFlight = false;
    next();
  };

  const next = (): void => {
    if (waiting.length === 0) return;
    let count = 0;
    let bytes = 0;
    while (count < waiting.length && count < limits.maxItems) {
      const size = (waiting[count] as Waiter<T>).bytes;
      if (count > 0 && bytes + size > limits.maxBytes) break;
      bytes += size;
      count += 1;
    }
    const batch = waiting.slice(0, count);
    waiting = waiting.slice(count);
    run(batch);
  };

  return {
    push(item, bytes, signal) {
      if (signal?.aborted === true) return Promise.reject(signal.reason);
      return new Promise<void>((resolve, reject) => {
        let settled = false;
        let listening: Waiting | undefined;
        const waiter: Waiter<T> = {
          item,
          bytes,
          settle(error) {
            if (settled) return;
            settled = true;
            unlisten(listening);
            if (error === undefined) resolve();
            else reject(error);
          },
        };
        const onAbort = (reason: unknown): void => {
          // A waiting item leaves the queue: nothing of it was sent.
          const at = waiting.indexOf(waiter);
          if (at >= 0) waiting.splice(at, 1);
          waiter.settle(reason);
        };
        if (signal !== undefined) listening = listen(signal, onAbort);
        waiting.push(waiter);
        if (!inFlight) next();
      });
    },
  };
}
