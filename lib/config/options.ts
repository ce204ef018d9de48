import type { Broker } from '../broker.js';
import type { EnvelopeFormat } from '../envelope/cloudevent-write.js';
import { resolveStager, type EventStager } from '../publishing/event-stager.js';
import { InvalidArgumentError } from '../errors/index.js';
import { consoleLogger, type Logger } from './logger.js';
import { given, nonEmpty, resolveAddress, type Environment } from './broker-address.js';
import { resolveTelemetry, type ResolvedTelemetry, type TelemetryOptions } from '../telemetry/telemetry-options.js';
import {
  describe,
  expectInteger,
  expectKnownKeys,
  expectLogger,
  expectObject,
  expectString,
  expectTopic,
} from './validate.js';
import { expectDelay } from './expect-delay.js';

/** The brokers eventwire ships adapters for. */
export const brokerNames = ['kafka', 'rabbitmq', 'redis', 'memory'] as const;
/** One of {@link brokerNames}. */
export type BrokerName = (typeof brokerNames)[number];

/**
 * Options of `configureMessaging` and `createMessaging`. Only `broker` is required, and even it
 * may come from `MESSAGING_BROKER`; values given in code win over the environment.
 *
 * @example
 * configureMessaging({ broker: 'kafka', bootstrapServers: 'localhost:9092', source: 'user-service' });
 */
export interface MessagingOptions {
  /** A broker name, or a {@link Broker} you built yourself (e.g. `createRedisBroker({...})`). */
  readonly broker?: BrokerName | Broker;
  /**
   * Address for RabbitMQ (`amqp://…`) or Redis (`redis://…`). Env: `RABBITMQ_URL`, `REDIS_URL`.
   * RabbitMQ and Redis Cluster also take a list of the cluster's nodes (in the variable,
   * separated by commas); for Redis, two or more nodes select its cluster client, unless
   * `brokerOptions.sentinel` (env `REDIS_SENTINEL_NAME`) names a primary: the URLs are then Sentinels.
   */
  readonly url?: string | readonly string[];
  /** Kafka brokers, `host:port` list or comma-separated string. Env: `KAFKA_BOOTSTRAP_SERVERS`. */
  readonly bootstrapServers?: string | readonly string[];
  /** Written into every event's `source`. Env: `MESSAGING_SOURCE`; then `npm_package_name`. */
  readonly source?: string;
  /** Topic for events published without one. Env: `MESSAGING_DEFAULT_TOPIC`. */
  readonly defaultTopic?: string;
  readonly logger?: Logger;
  /** How long `send()` waits for the broker's acknowledgement. Default 10000. */
  readonly publishTimeoutMs?: number;
  /**
   * Largest encoded payload accepted by `send()`. Default 1000000: under Kafka's default limit of
   * 1048588 bytes, which also counts the key, headers and batch framing.
   */
  readonly maxMessageBytes?: number;
  /** Fire-and-forget events (the middleware's) held while the broker is slow or down. Default 10000. */
  readonly maxBufferedEvents?: number;
  /** Passed to the client library untouched: TLS, SASL, credentials. Never logged. */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /** The adapter's own settings; see each broker in the README. */
  readonly brokerOptions?: Readonly<Record<string, unknown>>;
  /** OpenTelemetry tracing when `@opentelemetry/api` is installed; `false` turns it off. See docs/observability.md. */
  readonly telemetry?: TelemetryOptions | false;
  /**
   * How events are written: `eventwire` (the default, docs/wire-format.md) or `cloudevents`
   * (CloudEvents 1.0). Consumers read both whatever this says. Env: `MESSAGING_ENVELOPE`.
   */
  readonly envelope?: 'eventwire' | 'cloudevents';
  /** With `envelope: 'cloudevents'`: `binary` (the default: attributes in headers) or `structured`. */
  readonly cloudEventsMode?: 'binary' | 'structured';
  /**
   * Outbox-only mode: `publishEvent`, `emitEvent` and `eventMiddleware` stage each event in this
   * outbox (`createOutbox` of `eventwire/outbox`, each insert its own transaction) instead of
   * sending it; a relay on this instance publishes them. `getProducer().send` is unchanged.
   */
  readonly outbox?: EventStager;
}

/** Options after defaults, environment and validation; frozen. */
export interface ResolvedOptions {
  readonly broker: BrokerName | Broker;
  /** One address; a list only for RabbitMQ given two or more nodes. */
  readonly url: string | readonly string[];
  readonly source: string;
  /** Whether `source` came from the options or MESSAGING_SOURCE, not from npm_package_name or the fallback. */
  readonly sourceConfigured: boolean;
  readonly defaultTopic: string | undefined;
  readonly logger: Logger;
  readonly publishTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly maxBufferedEvents: number;
  readonly clientOptions: Readonly<Record<string, unknown>>;
  readonly brokerOptions: Readonly<Record<string, unknown>>;
  readonly telemetry: ResolvedTelemetry;
  readonly envelope: EnvelopeFormat;
  readonly outbox: EventStager | undefined;
}

const known = [
  'broker', 'url', 'bootstrapServers', 'source', 'defaultTopic', 'logger', 'publishTimeoutMs',
  'maxMessageBytes', 'maxBufferedEvents', 'clientOptions', 'brokerOptions', 'envelope', 'cloudEventsMode', 'telemetry',
  'outbox',
];

/**
 * Whether the environment alone names a broker, so the module-level API can configure itself.
 *
 * @example
 * environmentNamesBroker({ MESSAGING_BROKER: 'redis' }); // true
 */
export function environmentNamesBroker(env: Environment): boolean {
  return nonEmpty(env.MESSAGING_BROKER) !== undefined;
}

/**
 * Merges code, environment and defaults, and validates everything up front. Never mutates
 * `options`; throws {@link InvalidArgumentError} naming the option to fix.
 *
 * @example
 * resolveOptions({ broker: 'memory' }, process.env).source; // 'my-service' from MESSAGING_SOURCE
 */
export function resolveOptions(options: MessagingOptions, env: Environment): ResolvedOptions {
  expectKnownKeys('messaging options', expectObject('options', options) as Record<string, unknown>, known);
  const broker = resolveBroker(options.broker, nonEmpty(env.MESSAGING_BROKER));
  const logger = options.logger === undefined ? consoleLogger : expectLogger('logger', options.logger);
  const defaultTopic = options.defaultTopic ?? nonEmpty(env.MESSAGING_DEFAULT_TOPIC);
  const envelope = resolveEnvelope(options, env);
  return Object.freeze({
    broker,
    url: resolveAddress(broker, options, env),
    source: expectString('source', options.source ?? nonEmpty(env.MESSAGING_SOURCE) ?? nonEmpty(env.npm_package_name) ?? 'unknown-service'),
    sourceConfigured: options.source !== undefined || nonEmpty(env.MESSAGING_SOURCE) !== undefined,
    defaultTopic: defaultTopic === undefined ? undefined : expectTopic('defaultTopic', defaultTopic),
    logger,
    publishTimeoutMs: expectDelay('publishTimeoutMs', options.publishTimeoutMs ?? 10_000, 1),
    maxMessageBytes: expectInteger('maxMessageBytes', options.maxMessageBytes ?? 1_000_000, 1),
    maxBufferedEvents: expectInteger('maxBufferedEvents', options.maxBufferedEvents ?? 10_000, 0),
    clientOptions: Object.freeze({ ...expectObject('clientOptions', options.clientOptions ?? {}) }),
    brokerOptions: Object.freeze(withSentinelName(broker, expectObject('brokerOptions', options.brokerOptions ?? {}), env)),
    telemetry: resolveTelemetry(options.telemetry),
    envelope,
    outbox: resolveStager(options.outbox, envelope),
  });
}

/**
 * Redis's `brokerOptions` with `sentinel` from `REDIS_SENTINEL_NAME` when the code gave none: the
 * one adapter setting the environment can give, since without it a service configured by its
 * environment alone could not reach a Sentinel-managed primary (`REDIS_URL` lists the Sentinels).
 */
function withSentinelName(broker: BrokerName | Broker, brokerOptions: Record<string, unknown>, env: Environment): Record<string, unknown> {
  const name = broker === 'redis' && brokerOptions.sentinel === undefined ? nonEmpty(env.REDIS_SENTINEL_NAME) : undefined;
  return name === undefined ? { ...brokerOptions } : { ...brokerOptions, sentinel: name };
}

function resolveEnvelope(options: MessagingOptions, env: Environment): EnvelopeFormat {
  const format = given('envelope', options.envelope, 'MESSAGING_ENVELOPE', env);
  const name = format.value ?? 'eventwire';
  if (name !== 'eventwire' && name !== 'cloudevents') {
    throw new InvalidArgumentError('envelope', `Expected ${format.label} to be 'eventwire' or 'cloudevents', got ${describe(name)}.`);
  }
  const mode: unknown = options.cloudEventsMode ?? 'binary';
  if (mode !== 'binary' && mode !== 'structured') {
    throw new InvalidArgumentError('cloudEventsMode', `Expected \`cloudEventsMode\` to be 'binary' or 'structured', got ${describe(mode)}.`);
  }
  if (options.cloudEventsMode !== undefined && name !== 'cloudevents') {
    throw new InvalidArgumentError('cloudEventsMode', "`cloudEventsMode` applies to `envelope: 'cloudevents'` only: set both, or neither.");
  }
  return name === 'eventwire' ? 'eventwire' : mode === 'binary' ? 'cloudevents-binary' : 'cloudevents-structured';
}

function resolveBroker(fromCode: unknown, fromEnv: string | undefined): BrokerName | Broker {
  const value = fromCode ?? fromEnv;
  if (value === undefined) {
    throw new InvalidArgumentError(
      'broker',
      `Expected \`broker\` to be one of ${brokerNames.join(', ')} (or a Broker object); none was given and MESSAGING_BROKER is not set.`,
    );
  }
  if (typeof value === 'object' && value !== null) {
    const candidate = value as Partial<Broker>;
    if (typeof candidate.publish === 'function' && typeof candidate.subscribe === 'function' && typeof candidate.close === 'function') {
      return value as Broker;
    }
  }
  if (typeof value === 'string' && (brokerNames as readonly string[]).includes(value)) return value as BrokerName;
  const label = fromCode === undefined ? '`broker` (from MESSAGING_BROKER)' : '`broker`';
  throw new InvalidArgumentError(
    'broker',
    `Expected ${label} to be one of ${brokerNames.join(', ')}${fromCode === undefined ? '' : ' or a Broker object'}, got ${describe(value)}.`,
  );
}

