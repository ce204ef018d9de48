import { setMaxListeners } from 'node:events';
import { WaiterList, type Waiter, type Waiting } from '../waiter-list.js';

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
  /** What the publishes still waiting on it do when it fires, each called with the signal's reason. */
  readonly waiters: WaiterList;
}

/**
 * The deadlines of one publisher. A deadline opened at `t` fires at `t + timeoutMs + window`, and
 * only publishes starting before `t + window` join it: each gets at least `timeoutMs` and at most
 * `timeoutMs + window`. Its timer keeps the process alive only while a publish waits on it.
 *
 * @example
 * const deadlines = createDeadlines(10_000);
 * const deadline = deadlines.join();
 * const held = deadlines.hold(deadline, (reason) => reject(reason));
 * broker.publish(topic, batch, deadline.controller.signal).finally(() => deadlines.drop(deadline, held));
 */
export function createDeadlines(timeoutMs: number) {
  const windowMs = deadlineWindowMs(timeoutMs);
  let current: SharedDeadline | undefined;

  const expire = (deadline: SharedDeadline): void => {
    if (current === deadline) current = undefined;
    const { signal } = deadline.controller;
    deadline.controller.abort(new DOMException(`No acknowledgement within ${timeoutMs} ms`, 'TimeoutError'));
    deadline.waiters.fire(signal.reason);
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
      const deadline: SharedDeadline = { controller, openedAt: performance.now(), waiters: new WaiterList(), timer: setTimeout(() => expire(deadline), timeoutMs + windowMs) };
      deadline.timer.unref();
      current = deadline;
      if (previous !== undefined) release(previous);
      return deadline;
    },
    /**
     * Waits on `deadline`: `onExpire` is called once with the signal's reason if it fires before
     * {@link drop}. Its timer holds the process while anybody waits. A callback, not a promise,
     * so that nothing stays attached to a shared promise once the publish settled.
     */
    hold(deadline: SharedDeadline, onExpire: Waiter): Waiting {
      if (deadline.waiters.size === 0) deadline.timer.ref();
      return deadline.waiters.add(onExpire);
    },
    /** Stops waiting on `deadline` with what {@link hold} returned (the publish settled); harmless after it fired. */
    drop(deadline: SharedDeadline, held: Waiting): void {
      held.cancel();
      release(deadline);
    },
  };
}
