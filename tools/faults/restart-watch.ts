import { setTimeout as sleep } from 'node:timers/promises';
import { reachable } from '../../test/support/probe.js';
import type { FaultTarget } from './types.js';

/** One broker restart as the scenarios observe it: see {@link watchRestart}. */
export interface Restart {
  /** When the restart began. */
  readonly at: number;
  /** When the broker's port first refused connections (probed every 50 ms). */
  readonly down: number;
  /** When the broker's port accepted connections again (probed every 50 ms). */
  readonly back: number;
  /** When restart() resolved: the instance answered its own readiness check. */
  readonly ready: number;
}

/**
 * Restarts the broker, calls `onDown` once its port refuses connections and notes when it
 * accepts them again: recovery is measured from there, since restart()'s own readiness check
 * (rabbitmqctl await_startup, Kafka's admin round trip) can end seconds after clients got through.
 */
export async function watchRestart(target: Pick<FaultTarget, 'port'>, restart: () => Promise<void>, onDown: () => void): Promise<Restart> {
  const port = target.port;
  const at = Date.now();
  let done = false;
  let down: number | undefined;
  let back: number | undefined;
  const probe = (async () => {
    while (!done && back === undefined && port !== undefined) {
      if (!(await reachable(port))) {
        if (down === undefined) onDown();
        down ??= Date.now();
      } else if (down !== undefined) back = Date.now();
      await sleep(50);
    }
  })();
  try {
    await restart();
  } finally {
    done = true;
    await probe;
  }
  const ready = Date.now();
  return { at, down: down ?? at, back: back ?? ready, ready };
}

// ---------------------------------------------------------------------------- shared helpers ---

/** `promise`, or a rejection naming what was awaited after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
