import { InvalidArgumentError } from '../lib/errors/index.js';
import type { Messaging } from '../lib/messaging.js';
import { describe, expectInteger, expectKnownKeys, expectObject, expectString } from '../lib/config/validate.js';
import { expectDelay } from '../lib/config/expect-delay.js';
import type { OutboxPool } from './pool.js';
import { defaultTable, tableNames, type TableNames } from './table-name.js';

/**
 * Options of `createOutbox`.
 *
 * @example
 * createOutbox({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }), table: 'app.outbox' });
 */
export interface OutboxOptions {
  /** Where `migrate()` and the relays take their connections; a `pg` Pool fits. Never ended here. */
  readonly pool: OutboxPool;
  /** Default `eventwire_outbox`; `schema.table` to place it. Lower-case letters, digits and `_`. */
  readonly table?: string;
  /**
   * Written into each staged event's `source`, as `MessagingOptions.source` is. Env:
   * `MESSAGING_SOURCE`; then `npm_package_name`.
   */
  readonly source?: string;
}

/**
 * Options of `outbox.startRelay`.
 *
 * @example
 * outbox.startRelay({ messaging, batchSize: 200, pollIntervalMs: 5_000 });
 */
export interface RelayOptions {
  /** Publishes the staged events, with its broker, timeout and size limit. Not closed by the relay. */
  readonly messaging: Messaging;
  /** Rows claimed per transaction. Default 100. */
  readonly batchSize?: number;
  /** How often the table is read when no notification came (LISTEN/NOTIFY wakes it sooner). Default 1000. */
  readonly pollIntervalMs?: number;
  /** The longest wait between attempts while the broker fails (it doubles from 250 ms up to this). Default 30000. */
  readonly maxBackoffMs?: number;
  /**
   * Batches this relay runs at once, each in a transaction of its own (one pool connection
   * each), as that many relays would: one batch's database round trips overlap another's
   * publishing. Per-key order holds as between relays. Default 1; at most 16.
   */
  readonly batchesInFlight?: number;
}

/** Checked `createOutbox` options. */
export interface ResolvedOutboxOptions {
  readonly pool: OutboxPool;
  readonly names: TableNames;
  readonly source: string;
}

/** Checked `startRelay` options. */
export interface ResolvedRelayOptions {
  readonly messaging: Messaging;
  readonly batchSize: number;
  readonly pollIntervalMs: number;
  readonly maxBackoffMs: number;
  readonly batchesInFlight: number;
}

/** The first wait after a failed batch; it doubles up to `maxBackoffMs`. */
export const firstBackoffMs = 250;

/**
 * Checks `createOutbox` options, with `source` defaulting as the messaging instance's does.
 *
 * @example
 * resolveOutboxOptions({ pool }, process.env).names.table; // '"eventwire_outbox"'
 */
export function resolveOutboxOptions(options: unknown, env: NodeJS.ProcessEnv): ResolvedOutboxOptions {
  const given = expectObject('createOutbox options', options);
  expectKnownKeys('createOutbox options', given, ['pool', 'table', 'source']);
  const pool = given.pool;
  if (typeof pool !== 'object' || pool === null || typeof (pool as Partial<OutboxPool>).connect !== 'function') {
    throw new InvalidArgumentError('pool', `Expected \`pool\` to be a pg Pool (an object with connect()), got ${describe(pool)}.`);
  }
  const source = given.source ?? nonEmpty(env.MESSAGING_SOURCE) ?? nonEmpty(env.npm_package_name) ?? 'unknown-service';
  return {
    pool: pool as OutboxPool,
    names: tableNames(given.table ?? defaultTable),
    source: expectString('source', source),
  };
}

/**
 * Checks `startRelay` options.
 *
 * @example
 * resolveRelayOptions({ messaging }).batchSize; // 100
 */
export function resolveRelayOptions(options: unknown): ResolvedRelayOptions {
  const given = expectObject('startRelay options', options);
  expectKnownKeys('startRelay options', given, ['messaging', 'batchSize', 'pollIntervalMs', 'maxBackoffMs', 'batchesInFlight']);
  const messaging = given.messaging;
  if (typeof messaging !== 'object' || messaging === null || typeof (messaging as Partial<Messaging>).getProducer !== 'function') {
    throw new InvalidArgumentError(
      'messaging',
      `Expected \`messaging\` to be a messaging instance (createMessaging() or getMessaging()), got ${describe(messaging)}.`,
    );
  }
  const batchSize = expectInteger('batchSize', given.batchSize ?? 100, 1);
  if (batchSize > 10_000) throw new InvalidArgumentError('batchSize', `Expected \`batchSize\` to be at most 10000, got ${batchSize}.`);
  const batchesInFlight = expectInteger('batchesInFlight', given.batchesInFlight ?? 1, 1);
  if (batchesInFlight > 16) throw new InvalidArgumentError('batchesInFlight', `Expected \`batchesInFlight\` to be at most 16, got ${batchesInFlight}.`);
  return {
    messaging: messaging as Messaging,
    batchSize,
    pollIntervalMs: expectDelay('pollIntervalMs', given.pollIntervalMs ?? 1_000, 1),
    maxBackoffMs: expectDelay('maxBackoffMs', given.maxBackoffMs ?? 30_000, firstBackoffMs),
    batchesInFlight,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}
