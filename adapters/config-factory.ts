import type { Broker, BrokerFactory } from '../lib/broker.js';
import { expectKnownKeys } from '../lib/config/validate.js';

/** How a bundled adapter is built from what `configureMessaging` resolved. */
export interface ConfiguredAdapter<O> {
  /** The broker as the user names it in messages: `Kafka`, `RabbitMQ`, `Redis`. */
  readonly label: string;
  /** The option of `create` that takes the resolved address (`url`, Kafka's `bootstrapServers`). */
  readonly address: 'url' | 'bootstrapServers';
  /** What `brokerOptions` may hold: the adapter's own settings, not the address, client options or logger. */
  readonly tunables: readonly string[];
  /** The adapter's public factory, which checks every value and names the option at fault. */
  readonly create: (options: O) => Broker;
}

/**
 * The one factory behind `configureMessaging({ broker: 'kafka' | 'rabbitmq' | 'redis' })`: it
 * refuses `brokerOptions` names the adapter does not take (suggesting the one meant), then calls
 * the adapter's own factory with the resolved address, client options and logger, so that the
 * values are checked in one place, the same way as when a user builds the broker by hand.
 *
 * @example
 * registerBroker('redis', { create: configuredFactory({ label: 'Redis', address: 'url', tunables: redisTunables, create: createRedisBroker }) });
 */
export function configuredFactory<O>(adapter: ConfiguredAdapter<O>): BrokerFactory {
  return (config) => {
    expectKnownKeys(`brokerOptions for ${adapter.label}`, config.brokerOptions, adapter.tunables);
    const options: Record<string, unknown> = { ...config.brokerOptions, [adapter.address]: config.url, clientOptions: config.clientOptions, logger: config.logger };
    return adapter.create(options as O);
  };
}
