import type { Broker } from '../broker.js';
import type { EnvelopeFormat } from '../envelope/cloudevent-write.js';
import { resolveStager, type EventStager } from '../publishing/event-stager.js';
import { InvalidArgumentError } from '../errors/index.js';
import { consoleLogger, type Logger } from './logger.js';
import { redactUrl } from './redact.js';
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
  /** Address for RabbitMQ (`amqp://…`) or Redis (`redis://…`). Env: `RABBITMQ_URL`, `REDIS_URL`. */
  readonly url?: string;
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
  readonly url: string;
  readonly source: string;
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

const addressVariable: Record<BrokerName, string | undefined> = {
  kafka: 'KAFKA_BOOTSTRAP_SERVERS',
  rabbitmq: 'RABBITMQ_URL',
  redis: 'REDIS_URL',
  memory: undefined,
};

const protocols: Partial<Record<BrokerName, readonly string[]>> = {
  rabbitmq: ['amqp:', 'amqps:'],
  redis: ['redis:', 'rediss:'],
};

type Environment = Readonly<Record<string, string | undefined>>;

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
    defaultTopic: defaultTopic === undefined ? undefined : expectTopic('defaultTopic', defaultTopic),
    logger,
    publishTimeoutMs: expectInteger('publishTimeoutMs', options.publishTimeoutMs ?? 10_000, 1),
    maxMessageBytes: expectInteger('maxMessageBytes', options.maxMessageBytes ?? 1_000_000, 1),
    maxBufferedEvents: expectInteger('maxBufferedEvents', options.maxBufferedEvents ?? 10_000, 0),
    clientOptions: Object.freeze({ ...expectObject('clientOptions', options.clientOptions ?? {}) }),
    brokerOptions: Object.freeze({ ...expectObject('brokerOptions', options.brokerOptions ?? {}) }),
    telemetry: resolveTelemetry(options.telemetry),
    envelope,
    outbox: resolveStager(options.outbox, envelope),
  });
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

/**
 * An option's value from code, else from its environment variable, with the label messages use
 * for it: the option's name, and the variable's when the value came from there, so that a
 * mistake in the environment is found where it was made.
 */
interface Given {
  readonly value: unknown;
  readonly label: string;
}

function given(option: string, fromCode: unknown, variable: string, env: Environment): Given {
  if (fromCode !== undefined) return { value: fromCode, label: `\`${option}\`` };
  const value = nonEmpty(env[variable]);
  return { value, label: value === undefined ? `\`${option}\`` : `\`${option}\` (from ${variable})` };
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

function resolveAddress(broker: BrokerName | Broker, options: MessagingOptions, env: Environment): string {
  if (typeof broker !== 'string' || broker === 'memory') return 'memory://';
  const variable = addressVariable[broker] as string;
  if (broker === 'kafka') {
    if (options.url !== undefined) {
      throw new InvalidArgumentError('url', 'Kafka takes `bootstrapServers` ("host:port,host:port"), not `url`.');
    }
    const servers = given('bootstrapServers', options.bootstrapServers, variable, env);
    const value = servers.value ?? 'localhost:9092';
    const list: unknown = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(list) || list.length === 0) {
      throw new InvalidArgumentError('bootstrapServers', `Expected ${servers.label} to be "host:port" or a non-empty list of them, got ${describe(value)}.`);
    }
    return list.map((entry: unknown) => checkHostPort(servers.label, entry)).join(',');
  }
  if (options.bootstrapServers !== undefined) {
    throw new InvalidArgumentError('bootstrapServers', `\`bootstrapServers\` is for Kafka; ${broker} takes \`url\`.`);
  }
  const url = given('url', options.url, variable, env);
  const fallback = broker === 'rabbitmq' ? 'amqp://localhost:5672' : 'redis://localhost:6379';
  return checkUrl(broker, url.label, url.value ?? fallback);
}

function checkUrl(broker: BrokerName, label: string, url: unknown): string {
  const expected = (protocols[broker] ?? []).join(' or ');
  if (typeof url !== 'string') throw new InvalidArgumentError('url', `Expected ${label} to be a ${expected} URL, got ${describe(url)}.`);
  if (!URL.canParse(url)) {
    const example = broker === 'redis' ? 'redis://localhost:6379' : 'amqp://localhost:5672';
    throw new InvalidArgumentError('url', `Expected ${label} to be a ${expected} URL such as ${example}, got ${JSON.stringify(redactUrl(url))}.`);
  }
  if (!(protocols[broker] ?? []).includes(new URL(url).protocol)) {
    throw new InvalidArgumentError('url', `Expected ${label} for ${broker} to start with ${expected}, got ${JSON.stringify(redactUrl(url))}.`);
  }
  return url;
}

/** The same rule as the Kafka adapter's, so that no mistake reaches it under its own option name. */
function checkHostPort(label: string, entry: unknown): string {
  const value = typeof entry === 'string' ? entry.trim() : entry;
  const port = typeof value === 'string' ? Number(/^[^\s:/,@]+:(\d{1,5})$/.exec(value)?.[1]) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new InvalidArgumentError(
      'bootstrapServers',
      `Expected ${label} entries to look like "host:port" with a port from 1 to 65535, got ${typeof value === 'string' ? JSON.stringify(redactUrl(value)) : describe(value)}.`,
    );
  }
  return value as string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
