import { InvalidArgumentError } from '../errors/index.js';
import { expectInteger } from './validate.js';

/** The longest timer Node.js keeps: a longer one fires after 1 ms (with a warning), not when asked. */
export const longestTimerMs = 2_147_483_647;

/**
 * A delay or time-out in ms: an integer from `minimum` to {@link longestTimerMs}, else an
 * `InvalidArgumentError` naming `name`.
 *
 * @example
 * expectDelay('publishTimeoutMs', options.publishTimeoutMs ?? 10_000, 1);
 */
export function expectDelay(name: string, value: unknown, minimum: number): number {
  const ms = expectInteger(name, value, minimum);
  if (ms > longestTimerMs) throw new InvalidArgumentError(name, `Expected \`${name}\` to be at most ${longestTimerMs} ms (the longest timer Node.js keeps), got ${ms}.`);
  return ms;
}
