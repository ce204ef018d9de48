import type { Broker, BrokerCapabilities, ClientSpanOwner, HealthReporter, LagReporter } from '../../lib/broker.js';
import { MessagingClosedError } from '../../lib/errors/index.js';
import { abortable } from '../../lib/waiting.js';
import { mayPublish } from '../publish-guard.js';
import { KafkaConnection } from './connection.js';
import { kafkaLag } from './lag.js';
import { KafkaMember } from './member.js';
import { validateKafkaOptions, type KafkaBrokerOptions } from './options.js';
import { createPublishLane } from './publish-lane.js';
import { TopicAdmin } from './topics.js';

export type { KafkaBrokerOptions } from './options.js';

const capabilities: BrokerCapabilities = { persistent: true, deliveryCount: false, keyAffinity: true };

/**
 * The Kafka transport (kafkajs); it connects on first use.
 * - publish: `acks: all`, one request in flight per connection, not idempotent (see
 *   connection.ts): a retry after a lost answer may store a batch twice, never zero times. The
 *   message key is the Kafka key (murmur2, as the Java client), so a key keeps its partition and
 *   order; unkeyed messages are spread over the partitions, with no order between them. Missing
 *   topics are created with `partitions` partitions. Publishes made while a request is in flight
 *   go together in the next request (publish-lane.ts).
 * - subscribe: one member per subscription (member.ts). A member handles up to `concurrency`
 *   partitions at once, each in order. Offsets are committed in the background once callbacks
 *   resolved (offset-committer.ts): a partition is handled in order, so every offset below a
 *   committed one was handled, and at-least-once holds. A rejection rewinds the partition and
 *   pauses it for `redeliveryDelayMs`. A new group starts at the end of the topic. A member rides
 *   out a broker restart with its member id, and one that stalls is rejoined (stall-guard.ts).
 * - Before leaving (stop, close) a member commits what it handled, for up to 3 s; at a rebalance
 *   it sends what is pending at once. A commit that fails (say, the generation ended first) is
 *   logged, and its messages are delivered again to the partition's next owner.
 * - close() leaves callbacks in flight uncommitted, so that another member receives them again.
 * - lag: per partition, the log end offset minus the group's committed offset (lag.ts).
 * - tracing: once eventwire traces, kafkajs's own OpenTelemetry instrumentation, when active, is
 *   kept off eventwire's sends and consumers, so that no message gets two spans (../client-spans.ts).
 *
 * @example
 * const broker = createKafkaBroker({ bootstrapServers: '127.0.0.1:9092' });
 * await broker.publish('orders', [{ key: '42', headers: {}, value: Buffer.from('{}') }]);
 */
export function createKafkaBroker(options: KafkaBrokerOptions): Broker & HealthReporter & LagReporter & ClientSpanOwner {
  const settings = validateKafkaOptions(options);
  const { logger } = settings;
  const connection = new KafkaConnection(settings);
  const { partitions, replicationFactor, minInSyncReplicas } = settings;
  const topics = new TopicAdmin(() => connection.admin(), { partitions, replicationFactor, minInSyncReplicas });
  const lane = createPublishLane(() => connection.producer(), connection.clientSpans);
  const members = new Set<KafkaMember>();

  return {
    name: 'kafka',
    capabilities,
    ownClientSpans: () => connection.clientSpans.own(),
    health: () => connection.sockets.health(),
    async lag(groupId, topics) {
      if (connection.closed) throw new MessagingClosedError();
      try {
        return await kafkaLag(await connection.admin(), groupId, topics);
      } catch (error) {
        throw (await connection.unreachable(error)) ?? error;
      }
    },
    async publish(topic, messages, signal) {
      if (!mayPublish(connection.closed, messages, signal)) return;
      try {
        if (!topics.exists(topic)) await abortable(topics.ensure([topic]), signal);
        await lane.push(topic, messages, signal);
      } catch (error) {
        // The client's error, or what it means for the user: the core words the PublishError.
        if (connection.closed) throw new MessagingClosedError();
        throw (await connection.unreachable(error)) ?? error;
      }
    },
    async subscribe(request, deliver) {
      if (connection.closed) throw new MessagingClosedError();
      if (request.signal.aborted) return { closed: Promise.resolve() };
      try {
        await topics.ensure(request.topics);
        const admin = await connection.admin();
        if (connection.closed) throw new MessagingClosedError();
        const member = new KafkaMember(request, deliver, { connection, admin, settings, logger });
        members.add(member);
        const subscription = await member.start().catch((error: unknown) => {
          members.delete(member);
          throw error;
        });
        void subscription.closed.finally(() => members.delete(member)).catch(() => {});
        return subscription;
      } catch (error) {
        throw (await connection.unreachable(error)) ?? error;
      }
    },
    async close() {
      if (connection.closed) return;
      await connection.close([...members].map((member) => member.abandon()));
    },
  };
}
