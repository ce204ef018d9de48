import { setTimeout as sleep } from 'node:timers/promises';

/** Sends one message and resolves once the broker acknowledged it. */
export type SendOnce = () => Promise<void>;

const now = (): number => performance.now();

/**
 * Calls `send` with `inFlight` calls outstanding (1: one at a time) for `seconds`, after a
 * warm-up of `warmupSeconds`; returns acknowledged messages per second.
 */
export async function timedSends(send: SendOnce, inFlight: number, seconds: number, warmupSeconds: number): Promise<number> {
  await loop(send, inFlight, warmupSeconds);
  const started = now();
  const count = await loop(send, inFlight, seconds);
  return count / ((now() - started) / 1000);
}

async function loop(send: SendOnce, inFlight: number, seconds: number): Promise<number> {
  const deadline = now() + seconds * 1000;
  let count = 0;
  const worker = async (): Promise<void> => {
    while (now() < deadline) {
      await send();
      count += 1;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return count;
}

/**
 * The consume measurement. The consumer starts with every handler blocked on a gate; the topic
 * is then filled; once a handler waits at the gate (the consumer is connected and positioned)
 * the gate opens and the clock runs until `total` messages were handled, or until `maxSeconds`
 * passed (an implementation far slower than the others): the rate is then what it handled so far.
 */
export interface DrainGate {
  /** The handler under test: waits for the gate, then counts. */
  readonly handle: () => Promise<void>;
  /** Resolves once some handler is waiting at the gate. */
  readonly arrived: Promise<void>;
  /** Opens the gate after `settleMs`; resolves with messages per second once `total` were handled (or time ran out). */
  open(settleMs?: number): Promise<number>;
  readonly handled: () => number;
}

export function drainGate(total: number, maxSeconds = Infinity): DrainGate {
  let handled = 0;
  let started = 0;
  let release = (): void => {};
  let firstArrival = (): void => {};
  let finish: (rate: number) => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (firstArrival = resolve));
  const done = new Promise<number>((resolve) => (finish = resolve));
  let isOpen = false;
  const handle = async (): Promise<void> => {
    if (!isOpen) {
      firstArrival();
      await gate;
    }
    handled += 1;
    if (handled === total) finish(total / ((now() - started) / 1000));
  };
  return {
    handle,
    arrived,
    handled: () => handled,
    async open(settleMs = 200) {
      // Lets partitions and prefetch windows other than the first one fill up too.
      if (settleMs > 0) await sleep(settleMs);
      started = now();
      isOpen = true;
      release();
      if (Number.isFinite(maxSeconds)) {
        const timer = setTimeout(() => finish(handled / ((now() - started) / 1000)), maxSeconds * 1000);
        void done.finally(() => clearTimeout(timer));
      }
      return done;
    },
  };
}

/** Waits for `promise`, failing with a readable message after `seconds`. */
export async function within<T>(promise: Promise<T>, seconds: number, what: string | (() => string)): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    const describe = (): string => (typeof what === 'string' ? what : what());
    timer = setTimeout(() => reject(new Error(`${describe()} did not finish within ${seconds} s`)), seconds * 1000);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Sends `count` messages with `inFlight` outstanding: used to pre-fill topics. */
export async function sendMany(count: number, inFlight: number, send: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const index = next;
      next += 1;
      await send(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(inFlight, count) }, worker));
}
