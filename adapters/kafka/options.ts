import { InvalidArgumentError } from '../../lib/errors/index.js';
import { consoleLogger, type Logger } from '../../lib/config/logger.js';
import { expectHostPorts, expectInteger, expectKnownKeys, expectLogger, expectObject, expectString, withDefault } from '../../lib/config/validate.js';
import { expectDelay } from '../../lib/config/expect-delay.js';

/**
 * Options of `createKafkaBroker`.
 *
 * @example
 * createKafkaBroker({ bootstrapServers: '127.0.0.1:9092', partitions: 6, clientOptions: { ssl: true } });
 */
export interface KafkaBrokerOptions {
  /** Bootstrap servers: `"host:port,host:port"` or an array of `host:port`, as `configureMessaging` takes them. */
  readonly bootstrapServers: string | readonly string[];
  /** Client id shown in broker logs and quotas. Default `eventwire`. */
  readonly clientId?: string;
  /**
   * Merged into the kafkajs `Kafka` configuration untouched (`ssl`, `sasl`, `connectionTimeout`,
   * `retry`, ...); never logged. `brokers`, `logLevel` and `logCreator` are the adapter's.
   */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /** Partitions of the topics this adapter creates: the most members a group can use. Default 3. */
  readonly partitions?: number;
  /**
   * Replicas of each partition of the topics this adapter creates (topics that exist are left
   * as they are). Default: 3, or the number of brokers the cluster lists when it has fewer (1 on
   * a single broker).
   */
  readonly replicationFactor?: number;
  /**
   * `min.insync.replicas` of the topics this adapter creates: with `acks: all`, a publish is
   * acknowledged only once this many replicas hold it, and rejected (`NotEnoughReplicasError`)
   * while fewer are in sync. At most `replicationFactor`. Default: 2 when the replication factor
   * is 3 or more, else 1.
   */
  readonly minInSyncReplicas?: number;
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

/** The validated options, defaults filled in. */
export interface KafkaSettings {
  readonly bootstrapServers: readonly string[];
  /** Undefined: `clientOptions.clientId`, else `eventwire`. */
  readonly clientId: string | undefined;
  readonly clientOptions: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  readonly partitions: number;
  /** Undefined: 3, or fewer when the cluster has fewer brokers. */
  readonly replicationFactor: number | undefined;
  /** Undefined: derived from the replication factor. */
  readonly minInSyncReplicas: number | undefined;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly redeliveryDelayMs: number;
  readonly stallTimeoutMs: number;
}

/** What `brokerOptions` may hold for Kafka under `configureMessaging`. */
export const kafkaTunables: readonly string[] = ['clientId', 'partitions', 'replicationFactor', 'minInSyncReplicas', 'sessionTimeoutMs', 'heartbeatIntervalMs', 'redeliveryDelayMs', 'stallTimeoutMs'];

const kafkaOptionNames: readonly string[] = ['bootstrapServers', 'clientOptions', 'logger', ...kafkaTunables];

/**
 * Checks `options` and fills in the defaults; throws an `InvalidArgumentError` naming the option.
 *
 * @example
 * const settings = validateKafkaOptions({ bootstrapServers: ['127.0.0.1:9092'] });
 */
export function validateKafkaOptions(options: KafkaBrokerOptions): KafkaSettings {
  const raw = expectObject('options', options);
  expectKnownKeys('createKafkaBroker options', raw, kafkaOptionNames);
  const sessionTimeoutMs = expectDelay('sessionTimeoutMs', withDefault(raw.sessionTimeoutMs, 30_000), 1);
  const heartbeatIntervalMs = expectDelay('heartbeatIntervalMs', withDefault(raw.heartbeatIntervalMs, 3_000), 1);
  if (heartbeatIntervalMs >= sessionTimeoutMs) {
    throw new InvalidArgumentError(
      'heartbeatIntervalMs',
      `Expected \`heartbeatIntervalMs\` (${heartbeatIntervalMs}) to be lower than \`sessionTimeoutMs\` (${sessionTimeoutMs}); a third of it is usual.`,
    );
  }
  const stallTimeoutMs = expectDelay('stallTimeoutMs', withDefault(raw.stallTimeoutMs, 2 * sessionTimeoutMs), 1);
  if (stallTimeoutMs <= sessionTimeoutMs) {
    throw new InvalidArgumentError(
      'stallTimeoutMs',
      `Expected \`stallTimeoutMs\` (${stallTimeoutMs}) to be greater than \`sessionTimeoutMs\` (${sessionTimeoutMs}): a rebalance waiting for a dead member's session fetches nothing either.`,
    );
  }
  return {
    bootstrapServers: expectHostPorts('bootstrapServers', raw.bootstrapServers),
    clientId: raw.clientId === undefined ? undefined : expectString('clientId', raw.clientId),
    clientOptions: expectObject('clientOptions', withDefault(raw.clientOptions, {})),
    logger: expectLogger('logger', withDefault(raw.logger, consoleLogger)),
    partitions: expectInteger('partitions', withDefault(raw.partitions, 3), 1),
    ...replication(raw),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    redeliveryDelayMs: expectDelay('redeliveryDelayMs', withDefault(raw.redeliveryDelayMs, 1_000), 0),
    stallTimeoutMs,
  };
}

/** The replication options, each optional; `minInSyncReplicas` may not exceed `replicationFactor`. */
function replication(raw: Record<string, unknown>): Pick<KafkaSettings, 'replicationFactor' | 'minInSyncReplicas'> {
  // Kafka stores the replication factor in 16 bits.
  const replicationFactor = raw.replicationFactor === undefined ? undefined : expectInteger('replicationFactor', raw.replicationFactor, 1, 32767);
  const minInSyncReplicas = raw.minInSyncReplicas === undefined ? undefined : expectInteger('minInSyncReplicas', raw.minInSyncReplicas, 1, 32767);
  if (replicationFactor !== undefined && minInSyncReplicas !== undefined && minInSyncReplicas > replicationFactor) {
    throw new InvalidArgumentError(
      'minInSyncReplicas',
      `Expected \`minInSyncReplicas\` (${minInSyncReplicas}) to be at most \`replicationFactor\` (${replicationFactor}): no publish could ever be acknowledged. Lower it, or raise \`replicationFactor\`.`,
    );
  }
  return { replicationFactor, minInSyncReplicas };
}
