import { setTimeout as sleep } from 'node:timers/promises';

/** Sends one message and resolves once the broker acknowledged it. */
export type SendOnce = () => Promise<void>;

const now = (): number => performance.now();

/** CPU time (user + system) of this process since `start`, in µs. */
const cpuSince = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return used.user + used.system;
};

/**
 * What a timed window measured: calls (sends acknowledged, messages handled) per second, and this
 * process's CPU time (user + system, every thread) over exactly that window, in µs per call.
 */
export interface Timed {
  readonly rate: number;
  /** Undefined when nothing was sent or handled. */
  readonly cpuPerCall: number | undefined;
}

/** Rate and CPU per call of `count` calls that took `ms` and `cpuMicros`; no CPU figure without calls. */
const timed = (count: number, ms: number, cpuMicros: number): Timed => ({ rate: count / (ms / 1000), cpuPerCall: count > 0 ? cpuMicros / count : undefined });

/**
 * Calls `send` with `inFlight` calls outstanding (1: one at a time) for `seconds`, after a
 * warm-up of `warmupSeconds`; returns acknowledged sends per second and CPU µs per send, both
 * over the measured loop only (not the warm-up).
 */
export async function timedSends(send: SendOnce, inFlight: number, seconds: number, warmupSeconds: number): Promise<Timed> {
  await loop(send, inFlight, warmupSeconds);
  const cpuAtStart = process.cpuUsage();
  const started = now();
  const count = await loop(send, inFlight, seconds);
  const ms = now() - started;
  return timed(count, ms, cpuSince(cpuAtStart));
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
 * The process's CPU time is taken over the same window: from the gate's opening to the last
 * handled message (or the time limit), per message handled.
 */
export interface DrainGate {
  /** The handler under test: waits for the gate, then counts. */
  readonly handle: () => Promise<void>;
  /** Resolves once some handler is waiting at the gate. */
  readonly arrived: Promise<void>;
  /** Opens the gate after `settleMs`; resolves with the window's figures once `total` were handled (or time ran out). */
  open(settleMs?: number): Promise<Timed>;
  readonly handled: () => number;
}

export function drainGate(total: number, maxSeconds = Infinity): DrainGate {
  let handled = 0;
  let started = 0;
  let cpuAtStart: NodeJS.CpuUsage | undefined;
  let release = (): void => {};
  let firstArrival = (): void => {};
  let settle: (figures: Timed) => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const arrived = new Promise<void>((resolve) => (firstArrival = resolve));
  const done = new Promise<Timed>((resolve) => (settle = resolve));
  const finish = (): void => settle(timed(handled, now() - started, cpuSince(cpuAtStart ?? { user: 0, system: 0 })));
  let isOpen = false;
  const handle = async (): Promise<void> => {
    if (!isOpen) {
      firstArrival();
      await gate;
    }
    handled += 1;
    if (handled === total) finish();
  };
  return {
    handle,
    arrived,
    handled: () => handled,
    async open(settleMs = 200) {
      // Lets partitions and prefetch windows other than the first one fill up too.
      if (settleMs > 0) await sleep(settleMs);
      cpuAtStart = process.cpuUsage();
      started = now();
      isOpen = true;
      release();
      if (Number.isFinite(maxSeconds)) {
        const timer = setTimeout(finish, maxSeconds * 1000);
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
