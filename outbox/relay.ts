import { backoffPolicy, retryDelay, type BackoffPolicy } from '../lib/handling/backoff.js';
import type { Logger } from '../lib/config/logger.js';
import { bounded } from '../lib/waiting.js';
import { expectObject } from '../lib/config/validate.js';
import { expectDelay } from '../lib/config/expect-delay.js';
import { runBatch, type BatchDeps, type BatchResult } from './batch.js';
import { NotificationListener } from './listener.js';
import { firstBackoffMs, type ResolvedRelayOptions } from './options.js';
import type { OutboxPool } from './pool.js';
import type { TableNames } from './table-name.js';
import { Wakeup } from './wakeup.js';
import { notMigrated } from './not-migrated.js';
import { OutboxNotMigratedError } from '../lib/errors/index.js';

/**
 * A running relay's counters since it started.
 *
 * @example
 * relay.stats().published;
 */
export interface RelayStats {
  /** Rows the broker acknowledged (and that were then deleted). */
  published: number;
  /** Rows moved to the failed table: they can never be published. */
  movedAside: number;
  /** Publish attempts that failed for now (the rows stayed). */
  publishFailures: number;
  /** Batches that failed on the database side (rolled back; the rows stayed). */
  databaseFailures: number;
}

/**
 * A running relay.
 *
 * @example
 * const relay = outbox.startRelay({ messaging }); … await relay.stop();
 */
export interface Relay {
  stats(): Readonly<RelayStats>;
  /**
   * Stops taking rows, lets the batch in flight finish (its publishes end within the messaging
   * instance's `publishTimeoutMs`) for up to `timeoutMs` (default 10000), and releases the LISTEN
   * connection. Rows not acknowledged stay for the next relay. Does not close the messaging
   * instance or end the pool.
   */
  stop(options?: { readonly timeoutMs?: number }): Promise<void>;
}

/**
 * The relay's lanes and their shared state. Each lane is a loop of turns: make sure LISTEN
 * works, run a batch; after progress run the next at once, after a batch that found nothing
 * wait for a notification or the poll interval, after one that published nothing because the
 * broker (or the database) failed wait an exponential, capped backoff that notifications do not
 * cut short. Lanes share the LISTEN connection and the counters; each has its own waits.
 */
class RelayLoop implements Relay {
  readonly #options: ResolvedRelayOptions;
  readonly #deps: BatchDeps;
  readonly #logger: Logger;
  readonly #wakeups: readonly Wakeup[];
  readonly #listener: NotificationListener;
  readonly #controller = new AbortController();
  readonly #backoff: BackoffPolicy;
  readonly #stats: RelayStats = { published: 0, movedAside: 0, publishFailures: 0, databaseFailures: 0 };
  /** Whether the last batch found no table, so that this is logged once until it is migrated. */
  #notMigrated = false;
  readonly #loop: Promise<void>;
  #stopping: Promise<void> | undefined;

  constructor(pool: OutboxPool, names: TableNames, options: ResolvedRelayOptions) {
    this.#options = options;
    this.#logger = options.messaging.logger;
    this.#deps = { pool, names, producer: options.messaging.getProducer(), logger: this.#logger, batchSize: options.batchSize };
    this.#backoff = backoffPolicy({ backoff: 'exponential', jitter: 'equal', maxRetryDelayMs: options.maxBackoffMs }, firstBackoffMs);
    this.#wakeups = Array.from({ length: options.batchesInFlight }, () => new Wakeup());
    this.#listener = new NotificationListener(pool, names.channel, this.#logger, () => {
      for (const wakeup of this.#wakeups) wakeup.notify();
    });
    // #run catches what it expects; anything else is a bug, logged rather than unhandled.
    const lanes = this.#wakeups.map((wakeup) => this.#run(wakeup).catch((error: unknown) => this.#logger.error('outbox relay: stopped by an unexpected error', { error })));
    this.#loop = Promise.all(lanes).then(() => undefined);
  }

  stats(): Readonly<RelayStats> {
    return { ...this.#stats };
  }

  stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = expectDelay('timeoutMs', expectObject('stop options', options).timeoutMs ?? 10_000, 0);
    return (this.#stopping ??= this.#finish(timeoutMs));
  }

  async #finish(timeoutMs: number): Promise<void> {
    this.#controller.abort();
    for (const wakeup of this.#wakeups) wakeup.stop();
    if (!(await bounded(this.#loop, timeoutMs))) {
      this.#logger.warn('outbox relay: the batch in flight did not finish within timeoutMs; it ends in the background', { timeoutMs });
    }
    await this.#listener.close();
  }

  async #run(wakeup: Wakeup): Promise<void> {
    const { signal } = this.#controller;
    /** Failed turns in a row; the backoff grows with it. */
    let failures = 0;
    while (!signal.aborted) {
      await this.#listener.ensure();
      if (signal.aborted) return;
      const result = await this.#turn();
      if (signal.aborted) return;
      if (result === undefined || (result.outcome.published.length === 0 && result.outcome.poisoned.length === 0 && result.outcome.failed.length > 0)) {
        failures += 1;
        await wakeup.pause(retryDelay(this.#backoff, failures));
        continue;
      }
      failures = 0;
      if (result.claimed === 0) await wakeup.idle(this.#options.pollIntervalMs);
    }
  }

  /** One batch, counted; undefined when the database failed. */
  async #turn(): Promise<BatchResult | undefined> {
    let result: BatchResult;
    try {
      result = await runBatch(this.#deps, this.#controller.signal);
    } catch (caught) {
      this.#stats.databaseFailures += 1;
      this.#reportDatabaseFailure(notMigrated(caught, this.#deps.names.given));
      return undefined;
    }
    this.#notMigrated = false;
    const { published, poisoned, failed } = result.outcome;
    this.#stats.published += published.length;
    this.#stats.movedAside += poisoned.length;
    this.#stats.publishFailures += failed.length;
    for (const row of poisoned) {
      this.#logger.error('outbox relay: a row can never be published; moved to the failed table', { table: this.#deps.names.given, seq: row.seq, reason: row.reason });
    }
    if (failed.length > 0) {
      const first = failed[0];
      this.#logger.warn('outbox relay: publishing failed; the rows stay and are tried again after a backoff', { table: this.#deps.names.given, rows: failed.length, reason: first?.reason });
    }
    return result;
  }

  /**
   * A missing table is an error of deployment, logged once at error level with the typed error;
   * the relay keeps trying after the backoff, so that a migration running at the same time (a
   * deploy job) is picked up without a restart. Other database failures are transient warnings.
   */
  #reportDatabaseFailure(error: unknown): void {
    const table = this.#deps.names.given;
    if (!(error instanceof OutboxNotMigratedError)) {
      this.#logger.warn('outbox relay: a batch failed on the database; the rows stay and are tried again', { table, error });
      return;
    }
    if (!this.#notMigrated) this.#logger.error('outbox relay: the outbox table does not exist; run migrate. Trying again after a backoff', { table, error });
    this.#notMigrated = true;
  }
}

/**
 * Starts a relay on checked options.
 *
 * @example
 * const relay = startRelayLoop(pool, names, resolveRelayOptions({ messaging }));
 */
export function startRelayLoop(pool: OutboxPool, names: TableNames, options: ResolvedRelayOptions): Relay {
  return new RelayLoop(pool, names, options);
}
