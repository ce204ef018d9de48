import type { Broker, BrokerCapabilities, BrokerConfig, DeliveryCallback, HealthReporter, LagReporter, SubscribeRequest, Subscription, TopicKeeper } from '../../lib/broker.js';
import { MessagingClosedError } from '../../lib/errors/index.js';
import { expectKnownKeys } from '../../lib/config/validate.js';
import { memoryLag } from './lag.js';
import { MemoryMember, type MemoryConnection } from './member.js';
import { memoryTunables, validateMemoryOptions, type MemoryBrokerOptions } from './options.js';

export type { MemoryBrokerOptions } from './options.js';
export { createMemoryServer, type MemoryServer } from './server.js';

const capabilities: BrokerCapabilities = { persistent: false, deliveryCount: true, keyAffinity: false };

/**
 * The in-process broker: a product feature for development and tests, with the semantics of the
 * real brokers rather than a stand-in's. A `MemoryServer` (server.ts) plays the broker process;
 * each {@link createMemoryBroker} result plays one client connection to it, with its own
 * options, so several "services" in one process can share topics, and closing one connection
 * behaves like that process dying.
 *
 * Semantics (the same contract as Redis Streams and RabbitMQ queues):
 * - a group is created by its first subscription and starts at the end of each topic;
 * - it then keeps every message published to its topics, also while no member is connected;
 * - members of a group compete for its messages (no key affinity); each group gets every message;
 * - a message is removed when its callback resolves; a rejected callback makes it available
 *   again after the connection's `redeliveryDelayMs`; a closed connection returns its in-flight
 *   messages at once (member.ts);
 * - nothing survives the process.
 *
 * @example
 * configureMessaging({ broker: createMemoryBroker() });
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): Broker {
  const { server, redeliveryDelayMs } = validateMemoryOptions(options, 'createMemoryBroker options');
  const connection: MemoryConnection = { closed: false, server, members: new Set(), redeliveryDelayMs };

  const broker: Broker & TopicKeeper & HealthReporter & LagReporter = {
    name: 'memory',
    capabilities,
    async publish(topic, messages) {
      if (connection.closed) throw new MessagingClosedError();
      for (const message of messages) server.append(topic, message);
    },
    async subscribe(request: SubscribeRequest, deliver: DeliveryCallback): Promise<Subscription> {
      if (connection.closed) throw new MessagingClosedError();
      return new MemoryMember(request, deliver, connection).start();
    },
    async close() {
      if (connection.closed) return;
      connection.closed = true;
      for (const member of [...connection.members]) member.abandon();
    },
    async keepTopic(topic) {
      server.queue(topic, topic);
    },
    // In-process: connected from the start, until closed.
    health: () => ({ state: connection.closed ? 'closed' : 'connected' }),
    async lag(groupId, topics) {
      if (connection.closed) throw new MessagingClosedError();
      return memoryLag(server, groupId, topics);
    },
  };
  return broker;
}

/**
 * The factory used by `configureMessaging({ broker: 'memory' })`; `brokerOptions` may hold
 * `server` and `redeliveryDelayMs`, and any other name is refused.
 *
 * @example
 * const broker = memoryBrokerFactory({ url: 'memory://', clientOptions: {}, brokerOptions: {}, logger });
 */
export function memoryBrokerFactory(config: BrokerConfig): Broker {
  expectKnownKeys('the memory brokerOptions', config.brokerOptions, memoryTunables);
  return createMemoryBroker(config.brokerOptions as MemoryBrokerOptions);
}
