import { InvalidArgumentError } from '../../lib/errors.js';
import { consoleLogger, type Logger } from '../../lib/logger.js';
import { redactUrl } from '../../lib/redact.js';
import { describe, expectInteger, expectKnownKeys, expectLogger, expectObject, expectString } from '../../lib/validate.js';

/**
 * Options of `createRabbitMqBroker`.
 *
 * @example
 * const options: RabbitMqBrokerOptions = { url: 'amqp://guest:guest@127.0.0.1:5672', prefetch: 10 };
 */
export interface RabbitMqBrokerOptions {
  /** `amqp://` or `amqps://` URL; its password is redacted from every log line. */
  readonly url: string;
  /** Socket options handed to amqplib's `connect` untouched (TLS, timeouts); never logged. */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /** The durable topic exchange every topic is routed through. Default `eventwire`. */
  readonly exchange?: string;
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
  readonly logger?: Logger;
}

/** The validated options, defaults filled in; `prefetch` stays undefined for "the concurrency". */
export type RabbitMqSettings = Required<Omit<RabbitMqBrokerOptions, 'prefetch'>> & { readonly prefetch: number | undefined };

/** What `brokerOptions` may hold for RabbitMQ under `configureMessaging`. */
export const rabbitMqTunables: readonly string[] = ['exchange', 'prefetch', 'reconnectDelayMs', 'redeliveryDelayMs'];

/**
 * Checks `options` and fills in the defaults; throws an `InvalidArgumentError` naming the option.
 *
 * @example
 * const settings = validateRabbitMqOptions({ url: 'amqp://127.0.0.1' });
 */
export function validateRabbitMqOptions(options: RabbitMqBrokerOptions): RabbitMqSettings {
  const raw = expectObject('options', options);
  expectKnownKeys('createRabbitMqBroker options', raw, ['url', 'clientOptions', ...rabbitMqTunables, 'logger']);
  const url = expectString('url', raw.url);
  if (!/^amqps?:\/\/[^/]/.test(url)) invalid('url', 'an amqp:// or amqps:// URL', redactUrl(url));
  const exchange = expectString('exchange', or(raw.exchange, 'eventwire'));
  if (!/^[A-Za-z0-9._:-]{1,255}$/.test(exchange) || exchange.startsWith('amq.')) {
    invalid('exchange', 'a name of letters, digits, ".", "_", "-" and ":" not starting with "amq."', exchange);
  }
  const prefetch = raw.prefetch === undefined ? undefined : expectInteger('prefetch', raw.prefetch, 1);
  // basic.qos carries the prefetch count in 16 bits.
  if (prefetch !== undefined && prefetch > 65535) invalid('prefetch', 'an integer from 1 to 65535', prefetch);
  const logger = expectLogger('logger', or(raw.logger, consoleLogger));
  return {
    url,
    clientOptions: expectObject('clientOptions', or(raw.clientOptions, {})),
    exchange,
    prefetch,
    reconnectDelayMs: expectInteger('reconnectDelayMs', or(raw.reconnectDelayMs, 1000), 0),
    redeliveryDelayMs: expectInteger('redeliveryDelayMs', or(raw.redeliveryDelayMs, 200), 0),
    logger,
  };
}

/** Only `undefined` means "not given": a `null` is a mistake to report. */
function or(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value;
}

function invalid(name: string, expected: string, value: unknown): never {
  throw new InvalidArgumentError(name, `Expected \`${name}\` to be ${expected}, got ${describe(value)}.`);
}
