import { InvalidArgumentError } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';

/**
 * Options of `createKafkaBroker`.
 *
 * @example
 * createKafkaBroker({ brokers: ['127.0.0.1:9092'], partitions: 6, clientOptions: { ssl: true } });
 */
export interface KafkaBrokerOptions {
  /** Bootstrap servers as `host:port`. */
  readonly brokers: readonly string[];
  /** Client id shown in broker logs and quotas. Default `eventwire`. */
  readonly clientId?: string;
  /**
   * Merged into the kafkajs `Kafka` configuration untouched (`ssl`, `sasl`, `connectionTimeout`,
   * `retry`, ...); never logged. `brokers`, `logLevel` and `logCreator` are the adapter's.
   */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /** Partitions of the topics this adapter creates: the most members a group can use. Default 3. */
  readonly partitions?: number;
  /** A member silent this long is presumed dead and its partitions move. Default 30000. */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat period, also while a callback runs; below `sessionTimeoutMs`. Default 3000. */
  readonly heartbeatIntervalMs?: number;
  /**
   * Minimum time between a delivery the handler chain rejected (left unacknowledged) and its
   * redelivery: the partition is rewound to the message and paused this long. Default 1000.
   */
  readonly redeliveryDelayMs?: number;
  /**
   * A member that completed no fetch for this long while none of its callbacks ran, and whose
   * partitions have messages waiting, is torn down and joins the group again (logged). Above
   * `sessionTimeoutMs`, since a rebalance that waits for a dead member's session fetches nothing
   * either. Default: twice `sessionTimeoutMs`.
   */
  readonly stallTimeoutMs?: number;
  readonly logger?: Logger;
}

/** The validated timings and sizes, defaults filled in. */
export type KafkaSettings = Required<Pick<KafkaBrokerOptions, 'partitions' | 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'redeliveryDelayMs' | 'stallTimeoutMs'>>;

/** What `brokerOptions` may hold for Kafka under `configureMessaging`. */
export const kafkaTunables: readonly string[] = ['clientId', 'partitions', 'sessionTimeoutMs', 'heartbeatIntervalMs', 'redeliveryDelayMs', 'stallTimeoutMs'];

/**
 * Checks `options` and fills in the defaults; throws an `InvalidArgumentError` naming the option.
 *
 * @example
 * const settings = validateKafkaOptions({ brokers: ['127.0.0.1:9092'] });
 */
export function validateKafkaOptions(options: KafkaBrokerOptions): KafkaSettings {
  const { brokers, clientId, clientOptions } = options;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw new InvalidArgumentError('brokers', `Expected \`brokers\` to be a non-empty array of "host:port" strings, got ${show(brokers)}.`);
  }
  for (const address of brokers as unknown[]) {
    const port = typeof address === 'string' ? Number(/^[^\s:/,]+:(\d{1,5})$/.exec(address)?.[1]) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new InvalidArgumentError('brokers', `Expected every entry of \`brokers\` to be "host:port", got ${show(address)}.`);
  }
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) {
    throw new InvalidArgumentError('clientId', `Expected \`clientId\` to be a non-empty string, got ${show(clientId)}.`);
  }
  if (clientOptions !== undefined && (typeof clientOptions !== 'object' || clientOptions === null || Array.isArray(clientOptions))) {
    throw new InvalidArgumentError('clientOptions', `Expected \`clientOptions\` to be an object, got ${show(clientOptions)}.`);
  }
  const integer = (name: keyof KafkaSettings, fallback: number, min: 0 | 1): number => {
    const value: unknown = options[name] ?? fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
    throw new InvalidArgumentError(name, `Expected \`${name}\` to be a ${min === 1 ? 'positive' : 'non-negative'} integer, got ${show(value)}.`);
  };
  const base = {
    partitions: integer('partitions', 3, 1),
    sessionTimeoutMs: integer('sessionTimeoutMs', 30_000, 1),
    heartbeatIntervalMs: integer('heartbeatIntervalMs', 3_000, 1),
    redeliveryDelayMs: integer('redeliveryDelayMs', 1_000, 0),
  };
  const { heartbeatIntervalMs: beat, sessionTimeoutMs: session } = base;
  if (beat >= session) {
    throw new InvalidArgumentError('heartbeatIntervalMs', `Expected \`heartbeatIntervalMs\` (${beat}) to be lower than \`sessionTimeoutMs\` (${session}); a third of it is usual.`);
  }
  const stall = integer('stallTimeoutMs', 2 * session, 1);
  if (stall <= session) {
    throw new InvalidArgumentError('stallTimeoutMs', `Expected \`stallTimeoutMs\` (${stall}) to be greater than \`sessionTimeoutMs\` (${session}): a rebalance waiting for a dead member's session fetches nothing either.`);
  }
  return { ...base, stallTimeoutMs: stall };
}

function show(value: unknown): string {
  if (typeof value === 'string' || Array.isArray(value)) return JSON.stringify(value);
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}
