import type { SocketOptions } from 'amqplib';
import { consoleLogger, type Logger } from '../../lib/config/logger.js';
import { InvalidArgumentError } from '../../lib/errors/index.js';
import { expectInteger, expectKnownKeys, expectLogger, expectMatch, expectObject, expectOneOf, expectUrls, withDefault } from '../../lib/config/validate.js';
import { expectDelay } from '../../lib/config/expect-delay.js';
import type { QueueType } from './queues.js';

/**
 * Options of `createRabbitMqBroker`.
 *
 * @example
 * const options: RabbitMqBrokerOptions = { url: 'amqp://guest:guest@127.0.0.1:5672', prefetch: 10 };
 */
export interface RabbitMqBrokerOptions {
  /**
   * `amqp://` or `amqps://` URL, or a list of them, one per node of a cluster: the adapter
   * connects to the first that answers, and after a drop tries the next ones first. Passwords are
   * redacted from every log line.
   */
  readonly url: string | readonly string[];
  /** Socket options handed to amqplib's `connect` untouched (TLS, timeouts); never logged. */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /** The durable topic exchange every topic is routed through. Default `eventwire`. */
  readonly exchange?: string;
  /**
   * The durable topic exchange that dead-letter topics (`<topic>.dlq`) are routed through instead,
   * so that bindings on `exchange` never catch dead letters. Declared on first use. Default
   * `<exchange>.dlq` (`eventwire.dlq`).
   */
  readonly deadLetterExchange?: string;
  /** Unacknowledged messages per consumer. Default: the subscription's concurrency. */
  readonly prefetch?: number;
  /** Wait before each reconnection attempt after the connection dropped. Default 1000 ms. */
  readonly reconnectDelayMs?: number;
  /**
   * Minimum time between a delivery the handler chain rejected (left unacknowledged) and its
   * redelivery: the member holds the message this long before its nack (requeue), so that a
   * failing message does not spin hot. A member that stops returns held messages at once.
   * Default 200 ms.
   */
  readonly redeliveryDelayMs?: number;
  /**
   * The type of the queues eventwire declares. `quorum` (the default): replicated over the
   * cluster's nodes, counting deliveries (`deliveryCount`). `classic`: on one node, as eventwire
   * declared them before this option; an existing classic queue keeps needing it, because a
   * queue's type cannot change in place (docs/clusters.md says how to migrate).
   */
  readonly queueType?: QueueType;
  readonly logger?: Logger;
}

/**
 * The validated options, defaults filled in; `url` is the list of node URLs; `prefetch` stays
 * undefined for "the concurrency".
 */
export type RabbitMqSettings = Required<Omit<RabbitMqBrokerOptions, 'prefetch' | 'url'>> & { readonly url: readonly string[]; readonly prefetch: number | undefined };

/** What `brokerOptions` may hold for RabbitMQ under `configureMessaging`. */
export const rabbitMqTunables: readonly string[] = ['exchange', 'deadLetterExchange', 'prefetch', 'reconnectDelayMs', 'redeliveryDelayMs', 'queueType'];

const rabbitMqOptionNames: readonly string[] = ['url', 'clientOptions', 'logger', ...rabbitMqTunables];

/** Exchange names RabbitMQ accepts, less the reserved `amq.` prefix. */
const EXCHANGE = /^(?!amq\.)[A-Za-z0-9._:-]{1,255}$/;

/** The largest prefetch count AMQP carries (`basic.qos`'s 16-bit field). */
export const maxPrefetch = 65_535;

/**
 * Checks `options` and fills in the defaults; throws an `InvalidArgumentError` naming the option.
 *
 * @example
 * const settings = validateRabbitMqOptions({ url: 'amqp://127.0.0.1' });
 */
export function validateRabbitMqOptions(options: RabbitMqBrokerOptions): RabbitMqSettings {
  const raw = expectObject('options', options);
  expectKnownKeys('createRabbitMqBroker options', raw, rabbitMqOptionNames);
  const exchangeRule = 'a name of letters, digits, ".", "_", "-" and ":" not starting with "amq."';
  const exchange = expectMatch('exchange', withDefault(raw.exchange, 'eventwire'), EXCHANGE, exchangeRule);
  const deadLetterExchange = expectMatch('deadLetterExchange', withDefault(raw.deadLetterExchange, `${exchange}.dlq`), EXCHANGE, exchangeRule);
  if (deadLetterExchange === exchange) {
    throw new InvalidArgumentError('deadLetterExchange', `Expected \`deadLetterExchange\` to name another exchange than \`exchange\` ("${exchange}"): dead letters go through an exchange of their own. Leave it out for "${exchange}.dlq".`);
  }
  return {
    url: expectUrls('url', raw.url, ['amqp:', 'amqps:']),
    clientOptions: expectObject('clientOptions', withDefault(raw.clientOptions, {})),
    logger: expectLogger('logger', withDefault(raw.logger, consoleLogger)),
    exchange,
    deadLetterExchange,
    prefetch: raw.prefetch === undefined ? undefined : expectInteger('prefetch', raw.prefetch, 1, maxPrefetch),
    reconnectDelayMs: expectDelay('reconnectDelayMs', withDefault(raw.reconnectDelayMs, 1000), 0),
    redeliveryDelayMs: expectDelay('redeliveryDelayMs', withDefault(raw.redeliveryDelayMs, 200), 0),
    queueType: expectOneOf('queueType', withDefault(raw.queueType, 'quorum'), ['quorum', 'classic'] as const),
  };
}

/**
 * The socket options amqplib connects with: the caller's `clientOptions`, with TCP_NODELAY unless
 * they set `noDelay: false`. With Nagle's algorithm, amqplib's default, a small frame (an ack, a
 * publish sent while another awaits its confirm) waited for the broker's delayed ACK, about 40 ms.
 *
 * @example
 * amqp.connect(url, socketOptions(settings)); // { noDelay: true, ...settings.clientOptions }
 */
export function socketOptions(settings: Pick<RabbitMqSettings, 'clientOptions'>): SocketOptions {
  return { noDelay: true, ...(settings.clientOptions as SocketOptions) };
}
