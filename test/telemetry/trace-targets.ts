import { createMemoryBroker, createMemoryServer } from '../../adapters/memory/index.js';
import type { MessagingOptions } from '../../entry/index.js';
import { brokers, type RealBrokerName } from '../support/require-broker.js';

/** A broker the tracing tests run on: how to configure one "process" of it. */
export interface TraceTarget {
  readonly name: 'memory' | RealBrokerName;
  /** Options for a new instance on its own connection; the memory broker's share one server. */
  options(): MessagingOptions;
  /** Upper bound for a message to go through one hop. */
  readonly hopMs: number;
}

const server = createMemoryServer();

/** Every broker, each with its quickest settings for tests. */
export const traceTargets: readonly TraceTarget[] = [
  { name: 'memory', options: () => ({ broker: createMemoryBroker({ server }) }), hopMs: 5_000 },
  { name: 'redis', options: () => ({ broker: 'redis', url: brokers.redis.url }), hopMs: 10_000 },
  { name: 'rabbitmq', options: () => ({ broker: 'rabbitmq', url: brokers.rabbitmq.url }), hopMs: 10_000 },
  {
    name: 'kafka',
    options: () => ({
      broker: 'kafka',
      bootstrapServers: brokers.kafka.url,
      brokerOptions: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, redeliveryDelayMs: 200 },
    }),
    hopMs: 20_000,
  },
];
