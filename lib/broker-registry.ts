import type { Broker, BrokerConfig, BrokerFactory } from './broker.js';
import type { BrokerName, ResolvedOptions } from './options.js';

// Adapters load their client library lazily, so importing an adapter module is cheap and
// never fails for a missing client; the client's absence surfaces on first use instead.
const loaders: Record<BrokerName, () => Promise<BrokerFactory>> = {
  memory: async () => (await import('../adapters/memory.js')).memoryBrokerFactory,
  redis: async () => (await import('../adapters/redis.js')).redisBrokerFactory,
  rabbitmq: async () => (await import('../adapters/rabbitmq.js')).rabbitMqBrokerFactory,
  kafka: async () => (await import('../adapters/kafka.js')).kafkaBrokerFactory,
};

/**
 * Creates the broker an instance's options name (or returns the one given).
 *
 * @example
 * const broker = await createBroker(resolveOptions({ broker: 'redis' }, process.env));
 */
export async function createBroker(options: ResolvedOptions): Promise<Broker> {
  if (typeof options.broker !== 'string') return options.broker;
  const factory = await loaders[options.broker]();
  const config: BrokerConfig = {
    url: options.url,
    clientOptions: options.clientOptions,
    brokerOptions: options.brokerOptions,
    logger: options.logger,
  };
  return factory(config);
}
