import { registerBroker } from '../lib/broker-registry.js';
import { kafkaBrokerFactory } from './kafka/index.js';
import { memoryBrokerFactory } from './memory/index.js';
import { rabbitMqBrokerFactory } from './rabbitmq/index.js';
import { redisBrokerFactory } from './redis/index.js';

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
  registerBroker('redis', { create: redisBrokerFactory, peer: ['ioredis', 'Redis adapter'] });
  registerBroker('rabbitmq', { create: rabbitMqBrokerFactory, peer: ['amqplib', 'RabbitMQ adapter'] });
  registerBroker('kafka', { create: kafkaBrokerFactory, peer: ['kafkajs', 'Kafka adapter'] });
}
