import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../config/validate.js';
import { longestTimerMs } from '../config/expect-delay.js';

/** How the wait between attempts grows: `linear` keeps it at `retryDelayMs` (the seed's rule). */
export type Backoff = 'linear' | 'exponential';

/** How an exponential wait is randomised, so that failing consumers do not retry in lockstep. */
export type Jitter = 'full' | 'equal';

/**
 * The checked backoff settings of one consumer.
 *
 * @example
 * const policy: BackoffPolicy = { backoff: 'exponential', retryDelayMs: 100, maxRetryDelayMs: 10_000, jitter: 'full' };
 */
export interface BackoffPolicy {
  readonly backoff: Backoff;
  readonly retryDelayMs: number;
  /** The longest wait an exponential backoff reaches; equal to `retryDelayMs` for linear. */
  readonly maxRetryDelayMs: number;
  readonly jitter: Jitter;
}

/** Default cap of an exponential backoff, raised to `retryDelayMs` when that is longer. */
export const defaultMaxRetryDelayMs = 30_000;

/**
 * Checks `backoff`, `jitter` and `maxRetryDelayMs` against an already checked `retryDelayMs`.
 * `jitter` and `maxRetryDelayMs` only mean something for an exponential backoff, so they are
 * refused with a linear one rather than silently ignored.
 *
 * @example
 * backoffPolicy({ backoff: 'exponential', maxRetryDelayMs: 60_000 }, 1_000);
 */
export function backoffPolicy(
  options: { readonly backoff?: unknown; readonly jitter?: unknown; readonly maxRetryDelayMs?: unknown },
  retryDelayMs: number,
): BackoffPolicy {
  const backoff = options.backoff ?? 'linear';
  if (backoff !== 'linear' && backoff !== 'exponential') {
    throw new InvalidArgumentError('backoff', `Expected \`backoff\` to be 'linear' or 'exponential', got ${describe(backoff)}.`);
  }
  if (backoff === 'linear') {
    for (const name of ['jitter', 'maxRetryDelayMs'] as const) {
      if (options[name] !== undefined) {
        throw new InvalidArgumentError(
          name,
          `Expected \`${name}\` to be left out with linear backoff (retries are \`retryDelayMs\` apart), or \`backoff\` to be 'exponential'.`,
        );
      }
    }
    return { backoff, retryDelayMs, maxRetryDelayMs: retryDelayMs, jitter: 'full' };
  }
  const jitter = options.jitter ?? 'full';
  if (jitter !== 'full' && jitter !== 'equal') {
    throw new InvalidArgumentError('jitter', `Expected \`jitter\` to be 'full' or 'equal', got ${describe(jitter)}.`);
  }
  const cap = options.maxRetryDelayMs ?? Math.max(defaultMaxRetryDelayMs, retryDelayMs);
  if (typeof cap !== 'number' || !Number.isSafeInteger(cap) || cap < retryDelayMs || cap > longestTimerMs) {
    throw new InvalidArgumentError(
      'maxRetryDelayMs',
      `Expected \`maxRetryDelayMs\` to be an integer from ${retryDelayMs} (\`retryDelayMs\`) to ${longestTimerMs} ` +
        `(about 24.8 days, the longest timer Node.js keeps), got ${describe(cap)}.`,
    );
  }
  return { backoff, retryDelayMs, maxRetryDelayMs: cap, jitter };
}

/**
 * The wait before the retry that follows failed attempt `attempt` (1 for the first attempt).
 * Linear: `retryDelayMs`. Exponential: `retryDelayMs · 2^(attempt − 1)`, capped at
 * `maxRetryDelayMs`, then jittered: `full` draws from [0, capped], `equal` from
 * [capped / 2, capped]. The result is a whole number of milliseconds within those bounds.
 *
 * @example
 * retryDelay(policy, 3, () => 0.5); // full jitter, 100 ms base: half of 400, i.e. 200
 */
export function retryDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  if (policy.backoff === 'linear') return policy.retryDelayMs;
  // The exponent is bounded so that the product stays finite (a zero base with 2^1024 is NaN).
  const capped = Math.min(policy.maxRetryDelayMs, policy.retryDelayMs * 2 ** Math.min(attempt - 1, 52));
  const floor = policy.jitter === 'equal' ? capped / 2 : 0;
  return Math.min(capped, Math.round(floor + random() * (capped - floor)));
}
