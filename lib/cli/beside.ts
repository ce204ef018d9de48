import type { Messaging } from '../messaging.js';
import type { CliIo } from './io.js';

/**
 * Work the consumer worker runs beside its consumers, started once they are subscribed and
 * stopped before they drain: the outbox relay (`--outbox-relay`), which lib/ cannot import, is
 * handed in by the entry point.
 *
 * @example
 * const task = await start(messaging, io, { table: 'eventwire_outbox' });
 * await task.stop(30_000);
 */
export interface BesideTask {
  /** Stops taking work and lets what is in flight finish within `timeoutMs`. */
  stop(timeoutMs: number): Promise<void>;
}

/** Options of the outbox relay a consumer worker runs (`--outbox-relay`, `--outbox-table`). */
export interface OutboxRelayBeside {
  readonly table: string;
}

/**
 * Starts the outbox relay beside the consumers; throws CliExit when it cannot (no DATABASE_URL,
 * no table, database unreachable).
 */
export type StartOutboxRelay = (messaging: Messaging, io: CliIo, options: OutboxRelayBeside) => Promise<BesideTask>;

/** What the entry point adds to the core's commands. */
export interface CliExtensions {
  readonly startOutboxRelay?: StartOutboxRelay;
  /**
   * Checks, before any consumer starts, what the relay needs (DATABASE_URL, the `pg` package, the
   * table in a reachable database); throws CliExit or MissingDependencyError, so that a worker
   * that cannot relay never subscribes first.
   */
  readonly checkOutboxRelay?: (options: OutboxRelayBeside) => Promise<void>;
}
