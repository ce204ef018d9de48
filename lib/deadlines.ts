import { setMaxListeners } from 'node:events';

/**
 * Publish timeouts shared among the publishes that start close together: one timer and one
 * `AbortSignal` per window instead of one per publish, which under load kept thousands of timers
 * (and their closures) alive for the whole timeout.
 */

/**
 * How long a shared deadline takes new publishes: 50 ms, or a tenth of `timeoutMs` when that is
 * shorter, so that a short timeout is not stretched much (1 ms: every publish has its own).
 *
 * @example
 * deadlineWindowMs(10_000); // 50
 */
export function deadlineWindowMs(timeoutMs: number): number {
  return Math.min(50, Math.ceil(timeoutMs / 10));
}

/** One deadline shared by the publishes that started within its window. */
export interface SharedDeadline {
  readonly controller: AbortController;
  readonly openedAt: number;
  readonly timer: NodeJS.Timeout;
  /** The publishes still waiting on it: each rejects when it fires. */
  readonly waiters: Set<() => void>;
}

/**
 * The deadlines of one publisher. A deadline opened at `t` fires at `t + timeoutMs + window`, and
 * only publishes starting before `t + window` join it: each gets at least `timeoutMs` and at most
 * `timeoutMs + window`. Its timer keeps the process alive only while a publish waits on it.
 *
 * @example
 * const deadlines = createDeadlines(10_000);
 * const deadline = deadlines.join();
 * await deadlines.wait(deadline, broker.publish(topic, batch, deadline.controller.signal));
 */
export function createDeadlines(timeoutMs: number) {
  const windowMs = deadlineWindowMs(timeoutMs);
  let current: SharedDeadline | undefined;

  const expire = (deadline: SharedDeadline): void => {
    if (current === deadline) current = undefined;
    deadline.controller.abort(new DOMException(`No acknowledgement within ${timeoutMs} ms`, 'TimeoutError'));
    for (const reject of deadline.waiters) reject();
    deadline.waiters.clear();
  };

  /** A deadline nobody can join any more and nobody waits on needs no timer. */
  const release = (deadline: SharedDeadline): void => {
    if (deadline.waiters.size > 0) return;
    if (deadline === current) deadline.timer.unref();
    else clearTimeout(deadline.timer);
  };

  return {
    join(): SharedDeadline {
      if (current !== undefined && performance.now() - current.openedAt < windowMs) return current;
      const previous = current;
      const controller = new AbortController();
      // Every concurrent publish's adapter may listen on this one signal (each removes its listener).
      setMaxListeners(0, controller.signal);
      const deadline: SharedDeadline = { controller, openedAt: performance.now(), waiters: new Set(), timer: setTimeout(() => expire(deadline), timeoutMs + windowMs) };
      deadline.timer.unref();
      current = deadline;
      if (previous !== undefined) release(previous);
      return deadline;
    },
    /**
     * `work`'s outcome, or a rejection once `deadline` fires. No reaction stays attached to a
     * shared promise after `work` settled, so finished publishes are not retained until it fires.
     */
    wait<T>(deadline: SharedDeadline, work: Promise<T>): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const expired = (): void => reject(deadline.controller.signal.reason);
        if (deadline.waiters.size === 0) deadline.timer.ref();
        deadline.waiters.add(expired);
        const done = (): void => {
          deadline.waiters.delete(expired);
          release(deadline);
        };
        work.then(
          (value) => (done(), resolve(value)),
          (error: unknown) => (done(), reject(error)),
        );
      });
    },
  };
}
