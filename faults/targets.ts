import { createKafkaBroker } from '../adapters/kafka.js';
import { createMemoryBroker, createMemoryServer } from '../adapters/memory.js';
import { createRabbitMqBroker } from '../adapters/rabbitmq.js';
import { createRedisBroker } from '../adapters/redis.js';
import { silentLogger } from '../lib/index.js';
import type { FaultBroker, FaultTarget } from './types.js';

/**
 * Where each fault scenario finds its broker. This first version points at the standard local
 * brokers and cannot restart them; durable instances the runner owns (Redis with appendfsync
 * always on its own port, a second RabbitMQ node, the project's Kafka) replace these entries.
 */
export function faultTarget(broker: FaultBroker): FaultTarget {
  switch (broker) {
    case 'memory': {
      const server = createMemoryServer();
      return { broker, url: 'memory://', port: undefined, connect: () => createMemoryBroker({ server }) };
    }
    case 'redis':
      return {
        broker,
        url: 'redis://127.0.0.1:6379',
        port: 6379,
        connect: (options = {}) =>
          createRedisBroker({ url: `redis://127.0.0.1:${options.port ?? 6379}`, logger: silentLogger, ...options.tuning }),
      };
    case 'rabbitmq':
      return {
        broker,
        url: 'amqp://guest:guest@127.0.0.1:5672',
        port: 5672,
        connect: (options = {}) =>
          createRabbitMqBroker({ url: `amqp://guest:guest@127.0.0.1:${options.port ?? 5672}`, logger: silentLogger, ...options.tuning }),
      };
    case 'kafka':
      return {
        broker,
        url: '127.0.0.1:9092',
        port: 9092,
        connect: (options = {}) =>
          createKafkaBroker({ brokers: [`127.0.0.1:${options.port ?? 9092}`], logger: silentLogger, ...options.tuning }),
      };
  }
}
