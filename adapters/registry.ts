import { registerBroker } from '../lib/config/broker-registry.js';
import { configuredFactory } from './config-factory.js';
import { createKafkaBroker } from './kafka/index.js';
import { kafkaTunables } from './kafka/options.js';
import { memoryBrokerFactory } from './memory/index.js';
import { createRabbitMqBroker } from './rabbitmq/index.js';
import { rabbitMqTunables } from './rabbitmq/options.js';
import { createRedisBroker } from './redis/index.js';
import { redisTunables } from './redis/options.js';

/**
 * Registers the adapters eventwire ships with the core, so that `configureMessaging({ broker:
 * 'redis' })` and `MESSAGING_BROKER=redis` find them. Every entry module of the package calls it
 * before user code runs; calling it again changes nothing.
 *
 * The adapter modules import their client library only when they first connect, so importing
 * them here is cheap and never fails for a missing client; the core checks the peer up front.
 *
 * @example
 * registerBundledBrokers();
 */
export function registerBundledBrokers(): void {
  registerBroker('memory', { create: memoryBrokerFactory });
  registerBroker('redis', {
    create: configuredFactory({ label: 'Redis', address: 'url', tunables: redisTunables, create: createRedisBroker }),
    peer: ['ioredis', 'Redis adapter'],
  });
  registerBroker('rabbitmq', {
    create: configuredFactory({ label: 'RabbitMQ', address: 'url', tunables: rabbitMqTunables, create: createRabbitMqBroker }),
    peer: ['amqplib', 'RabbitMQ adapter'],
  });
  registerBroker('kafka', {
    create: configuredFactory({ label: 'Kafka', address: 'bootstrapServers', tunables: kafkaTunables, create: createKafkaBroker }),
    peer: ['kafkajs', 'Kafka adapter'],
  });
}
