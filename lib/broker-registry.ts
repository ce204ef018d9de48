import { kafkaBrokerFactory } from '../adapters/kafka/index.js';
import { memoryBrokerFactory } from '../adapters/memory.js';
import { rabbitMqBrokerFactory } from '../adapters/rabbitmq/index.js';
import { redisBrokerFactory } from '../adapters/redis.js';
import type { Broker, BrokerConfig, BrokerFactory } from './broker.js';
import { expectPeer } from './load-peer.js';
import type { BrokerName, ResolvedOptions } from './options.js';

// The adapter modules import their client library only when they first connect, so importing
// them here is cheap and never fails for a missing client; creating a broker connects nothing.
const factories: Record<BrokerName, { readonly create: BrokerFactory; readonly peer?: readonly [name: string, purpose: string] }> = {
  memory: { create: memoryBrokerFactory },
  redis: { create: redisBrokerFactory, peer: ['ioredis', 'Redis adapter'] },
  rabbitmq: { create: rabbitMqBrokerFactory, peer: ['amqplib', 'RabbitMQ adapter'] },
  kafka: { create: kafkaBrokerFactory, peer: ['kafkajs', 'Kafka adapter'] },
};

/**
 * Creates the broker an instance's options name (or returns the one given), without connecting.
 * Everything that can be known before connecting is checked here, so that it throws from
 * `createMessaging` / `configureMessaging`: the adapter's own options (`brokerOptions`: unknown
 * names, wrong types) and whether its client library is installed.
 *
 * @example
 * const broker = createBroker(resolveOptions({ broker: 'redis' }, process.env));
 */
export function createBroker(options: ResolvedOptions): Broker {
  if (typeof options.broker !== 'string') return options.broker;
  const { create, peer } = factories[options.broker];
  if (peer !== undefined) expectPeer(...peer);
  const config: BrokerConfig = {
    url: options.url,
    clientOptions: options.clientOptions,
    brokerOptions: options.brokerOptions,
    logger: options.logger,
  };
  return create(config);
}
