import { InvalidArgumentError } from '../errors/index.js';
import type { Broker } from '../broker.js';
import type { BrokerName, MessagingOptions } from './options.js';
import { redactUrl } from './redact.js';
import { describe } from './validate.js';

/** The process environment, as far as option resolution reads it. */
export type Environment = Readonly<Record<string, string | undefined>>;

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

/**
 * An option's value from code, else from its environment variable, with the label messages use
 * for it: the option's name, and the variable's when the value came from there, so that a
 * mistake in the environment is found where it was made.
 */
export interface Given {
  readonly value: unknown;
  readonly label: string;
}

/** See {@link Given}. */
export function given(option: string, fromCode: unknown, variable: string, env: Environment): Given {
  if (fromCode !== undefined) return { value: fromCode, label: `\`${option}\`` };
  const value = nonEmpty(env[variable]);
  return { value, label: value === undefined ? `\`${option}\`` : `\`${option}\` (from ${variable})` };
}

/**
 * The broker's address from `url`/`bootstrapServers` or its variable, checked: Kafka's list joined
 * with commas, RabbitMQ's or Redis Cluster's node list as an array when it names two or more
 * nodes, else one URL.
 *
 * @example
 * resolveAddress('rabbitmq', {}, { RABBITMQ_URL: 'amqp://a:5672,amqp://b:5672' }); // ['amqp://a:5672', 'amqp://b:5672']
 */
export function resolveAddress(broker: BrokerName | Broker, options: MessagingOptions, env: Environment): string | readonly string[] {
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
  const value = url.value ?? fallback;
  const list = typeof value === 'string' ? splitNodeList(broker, value) : value;
  if (!Array.isArray(list)) return checkUrl(broker, url.label, list);
  if (list.length === 0) throw new InvalidArgumentError('url', `Expected ${url.label} to be a ${(protocols[broker] ?? []).join(' or ')} URL or a non-empty list of them, got [].`);
  const urls = list.map((entry: unknown) => checkUrl(broker, `${url.label} entries`, entry));
  return urls.length === 1 ? (urls[0] as string) : Object.freeze(urls);
}

/** Where a list of node URLs is split: before each new URL, so a comma inside a password does not split it. */
const nodeListSeparator: Partial<Record<BrokerName, RegExp>> = {
  rabbitmq: /,\s*(?=amqps?:\/\/)/i,
  redis: /,\s*(?=rediss?:\/\/)/i,
};

/** A variable naming several nodes (a RabbitMQ cluster's, a Redis Cluster's), as a list of URLs. */
function splitNodeList(broker: BrokerName, value: string): string | string[] {
  const separator = nodeListSeparator[broker];
  const parts = separator === undefined ? [value] : value.split(separator).map((part) => part.trim());
  return parts.length === 1 ? value : parts;
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

/** `value` trimmed, or undefined when it is unset or blank. */
export function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
