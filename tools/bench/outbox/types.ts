import type { Machine } from '../machine.js';
import type { BrokerId } from '../types.js';

/** The shapes of `npm run bench:outbox`'s results file and of the sizes it runs with. */

/** `full` is the run the docs are meant to show; `smoke` proves the bench works, with small sizes. */
export type OutboxMode = 'full' | 'smoke';

/** How much each measurement does. */
export interface OutboxSizes {
  /** Transactions per side of the staging measurement. */
  readonly stagingTransactions: number;
  /** Rows staged before each relay is started. */
  readonly relayRows: number;
  readonly relays: readonly RelayShape[];
  /** Events per second staged during the latency measurement, each in its own transaction. */
  readonly latencyRate: number;
  readonly latencySeconds: number;
  /** Messages handled per side of the inbox measurement. */
  readonly inboxMessages: number;
  readonly inboxConcurrency: number;
}

/** How a measured relay runs: rows per batch, and batches at once (`startRelay`'s options). */
export interface RelayShape {
  readonly batchSize: number;
  readonly batchesInFlight: number;
}

/** Staging: the same transaction without an event, with `outbox.stage()` of one, and with `outbox.stageWith()` of one. */
export interface StagingResult {
  readonly transactions: number;
  readonly plainMs: number;
  readonly stagedMs: number;
  /** `stagedMs - plainMs`. */
  readonly addedMs: number;
  /** `stagedMs / plainMs`. */
  readonly ratio: number;
  /** The transaction staging its event in the insert itself (`stageWith`); absent in results of earlier runs. */
  readonly withMs?: number;
  /** `withMs - plainMs`. */
  readonly withAddedMs?: number;
  /** The same transaction without an event, its insert a prepared (named) statement; absent in results of earlier runs. */
  readonly preparedPlainMs?: number;
  /** The prepared insert staging its event by `stageWith(…, { prepare: true })`. */
  readonly preparedWithMs?: number;
  /** `preparedWithMs - preparedPlainMs`. */
  readonly preparedWithAddedMs?: number;
}

/** Relay throughput against the raw client publishing the same messages in batches of the same size. */
export interface ThroughputResult {
  readonly broker: BrokerId;
  readonly batchSize: number;
  /** Absent in results of runs before the option existed: 1. */
  readonly batchesInFlight?: number;
  readonly rows: number;
  readonly relayRate?: number;
  readonly rawRate?: number;
  readonly error?: string;
}

/** Commit → handled through the relay (woken by LISTEN/NOTIFY) and a consumer. */
export interface LatencyResult {
  readonly broker: BrokerId;
  readonly events: number;
  /** The staging rate reached (events per second). */
  readonly rate?: number;
  readonly p50Ms?: number | undefined;
  readonly p99Ms?: number | undefined;
  readonly error?: string;
}

/** Time per handled message of a handler writing one row, with the PostgreSQL inbox and without. */
export interface InboxResult {
  readonly broker: BrokerId;
  readonly messages: number;
  readonly withInboxUs?: number;
  readonly withoutInboxUs?: number;
  readonly error?: string;
}

/** What the measuring process reports. */
export interface OutboxMeasurements {
  readonly postgres: string;
  readonly staging?: StagingResult | undefined;
  readonly stagingError?: string | undefined;
  readonly throughput: readonly ThroughputResult[];
  readonly latency: readonly LatencyResult[];
  readonly inbox: readonly InboxResult[];
}

/** `tools/bench/outbox/results.json`: the measurements, the commit measured and the machine. */
export interface OutboxResults extends OutboxMeasurements {
  readonly finishedAt: string;
  readonly commit: string;
  readonly mode: OutboxMode;
  readonly sizes: OutboxSizes;
  readonly machine: Machine;
}
