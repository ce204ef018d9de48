import { InvalidArgumentError } from '../lib/errors/index.js';
import { expectInteger, expectKnownKeys, expectObject } from '../lib/config/validate.js';
import { expectDelay } from '../lib/config/expect-delay.js';

/**
 * How long an inbox remembers an event id by default: 7 days. A mark must outlive the last
 * duplicate that can still arrive: a broker redelivering what a consumer left unacknowledged
 * when it stopped (delivered again when the group comes back, after a weekend's outage too), and
 * the outbox relay publishing a row again after a crash between the broker's acknowledgement
 * and its commit. A duplicate arriving after the retention is handled again.
 */
export const defaultRetentionMs = 7 * 24 * 60 * 60 * 1000;

/**
 * Options of `outbox.inbox()`.
 *
 * @example
 * outbox.inbox({ retentionMs: 30 * 24 * 60 * 60 * 1000, pruneIntervalMs: 0 });
 */
export interface PgInboxOptions {
  /** How long a mark is kept: a duplicate arriving later is handled again. Default 604800000 (7 days). */
  readonly retentionMs?: number;
  /**
   * How often a delivery, once committed, deletes one batch of expired marks (an extra
   * statement on that delivery). 0 turns it off: call `inbox.prune()` on a schedule instead.
   * Default 60000.
   */
  readonly pruneIntervalMs?: number;
  /** Marks deleted per statement, so that no prune holds row locks for long. Default 1000. */
  readonly pruneBatchSize?: number;
}

/** Checked `outbox.inbox()` options. */
export interface ResolvedPgInboxOptions {
  readonly retentionMs: number;
  readonly pruneIntervalMs: number;
  readonly pruneBatchSize: number;
}

/** The longest retention accepted: 10 years, far beyond any redelivery. */
const longestRetentionMs = 10 * 365 * 24 * 60 * 60 * 1000;

/**
 * Checks `outbox.inbox()` options.
 *
 * @example
 * resolvePgInboxOptions(undefined).retentionMs; // 604800000
 */
export function resolvePgInboxOptions(options: unknown): ResolvedPgInboxOptions {
  const given = expectObject('inbox options', options === undefined ? {} : options);
  expectKnownKeys('inbox options', given, ['retentionMs', 'pruneIntervalMs', 'pruneBatchSize']);
  return {
    retentionMs: expectRetentionMs(given.retentionMs),
    pruneIntervalMs: expectDelay('pruneIntervalMs', given.pruneIntervalMs ?? 60_000, 0),
    pruneBatchSize: expectInteger('pruneBatchSize', given.pruneBatchSize ?? 1_000, 1, 100_000),
  };
}

/**
 * The `retentionMs` option of both inboxes (PostgreSQL and Redis), with its default: whole
 * milliseconds from 1 to 10 years.
 *
 * @example
 * expectRetentionMs(undefined); // 604800000
 */
export function expectRetentionMs(value: unknown): number {
  if (value === undefined) return defaultRetentionMs;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > longestRetentionMs) {
    throw new InvalidArgumentError('retentionMs', `Expected \`retentionMs\` to be at most ${longestRetentionMs} (10 years), got ${value}.`);
  }
  return expectInteger('retentionMs', value, 1);
}
