import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves once `done()` is true, checking every `everyMs`; rejects naming `what` after
 * `seconds`. For counters the bench owns (relay stats, handled messages), not for tests.
 */
export async function until(done: () => boolean, seconds: number, what: () => string, everyMs = 2): Promise<void> {
  const deadline = performance.now() + seconds * 1000;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`${what()} did not happen within ${seconds} s`);
    await sleep(everyMs);
  }
}

/** The message of an error, for a results file. */
export const reason = (error: unknown): string => (error instanceof Error ? error.message : String(error));
