import type { Broker } from './broker.js';
import { InvalidArgumentError } from './errors.js';
import { consoleLogger, type Logger } from './logger.js';
import { redactUrl } from './redact.js';
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
}

const known = [
  'broker', 'url', 'bootstrapServers', 'source', 'defaultTopic', 'logger', 'publishTimeoutMs',
  'maxMessageBytes', 'maxBufferedEvents', 'clientOptions', 'brokerOptions',
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
  const broker = resolveBroker(options.broker ?? nonEmpty(env.MESSAGING_BROKER));
  const logger = options.logger === undefined ? consoleLogger : expectLogger('logger', options.logger);
  const defaultTopic = options.defaultTopic ?? nonEmpty(env.MESSAGING_DEFAULT_TOPIC);
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
  });
}

function resolveBroker(value: unknown): BrokerName | Broker {
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
  throw new InvalidArgumentError(
    'broker',
    `Expected \`broker\` to be one of ${brokerNames.join(', ')} or a Broker object, got ${describe(value)}.`,
  );
}

function resolveAddress(broker: BrokerName | Broker, options: MessagingOptions, env: Environment): string {
  if (typeof broker !== 'string' || broker === 'memory') return 'memory://';
  const variable = addressVariable[broker] as string;
  if (broker === 'kafka') {
    if (options.url !== undefined) {
      throw new InvalidArgumentError('url', 'Kafka takes `bootstrapServers` ("host:port,host:port"), not `url`.');
    }
    const given = options.bootstrapServers ?? nonEmpty(env[variable]) ?? 'localhost:9092';
    const list = typeof given === 'string' ? given.split(',') : given;
    if (!Array.isArray(list)) throw new InvalidArgumentError('bootstrapServers', `Expected \`bootstrapServers\` to be "host:port" or a list of them, got ${describe(given)}.`);
    return list.map((entry: unknown) => checkHostPort(entry)).join(',');
  }
  if (options.bootstrapServers !== undefined) {
    throw new InvalidArgumentError('bootstrapServers', `\`bootstrapServers\` is for Kafka; ${broker} takes \`url\`.`);
  }
  const fallback = broker === 'rabbitmq' ? 'amqp://localhost:5672' : 'redis://localhost:6379';
  const url = options.url ?? nonEmpty(env[variable]) ?? fallback;
  return checkUrl(broker, url);
}

function checkUrl(broker: BrokerName, url: unknown): string {
  const expected = (protocols[broker] ?? []).join(' or ');
  if (typeof url !== 'string') throw new InvalidArgumentError('url', `Expected \`url\` to be a ${expected} URL, got ${describe(url)}.`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError('url', `Expected \`url\` to be a ${expected} URL such as ${broker === 'redis' ? 'redis://localhost:6379' : 'amqp://localhost:5672'}, got ${JSON.stringify(redactUrl(url))}.`);
  }
  if (!(protocols[broker] ?? []).includes(parsed.protocol)) {
    throw new InvalidArgumentError('url', `Expected \`url\` for ${broker} to start with ${expected}, got ${JSON.stringify(redactUrl(url))}.`);
  }
  return url;
}

function checkHostPort(entry: unknown): string {
  const value = typeof entry === 'string' ? entry.trim() : entry;
  if (typeof value !== 'string' || !/^[A-Za-z0-9.[\]:-]+:\d{1,5}$/.test(value)) {
    throw new InvalidArgumentError(
      'bootstrapServers',
      `Expected \`bootstrapServers\` entries to look like "host:port", got ${typeof value === 'string' ? JSON.stringify(redactUrl(value)) : describe(value)}.`,
    );
  }
  return value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
