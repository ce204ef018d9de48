import type { Broker, BrokerCapabilities, ClientSpanOwner, HealthReporter, LagReporter, Subscription, TopicKeeper, UnroutableReporter } from '../../lib/broker.js';
import { abortable } from '../../lib/waiting.js';
import { mayPublish } from '../publish-guard.js';
import { RabbitMqConnection } from './connection.js';
import { rabbitMqLag } from './lag.js';
import { RabbitMqMember } from './member.js';
import { maxPrefetch, validateRabbitMqOptions, type RabbitMqBrokerOptions } from './options.js';
import { InvalidArgumentError } from '../../lib/errors/index.js';
import type { QueueType } from './queues.js';

export type { RabbitMqBrokerOptions } from './options.js';

/** Quorum queues count deliveries (`x-delivery-count`); classic queues only say "delivered before". */
const capabilitiesOf = (queueType: QueueType): BrokerCapabilities => ({ persistent: true, deliveryCount: queueType === 'quorum', keyAffinity: false });

/**
 * A broker over RabbitMQ: one durable topic exchange (routing key = topic) and one for the
 * dead-letter topics `<topic>.dlq` (exchanges.ts), one durable queue
 * `<group>.<topic>` per group and topic, publisher confirms, manual acks. Messages are persistent
 * `application/json` with the caller's headers, the key in `eventwire-key` and as `messageId` the
 * message's event id or a fresh UUID (codec.ts); published `mandatory`, so that a message no queue
 * is bound for comes back and is reported to `onUnroutable` (its publish still resolves). Connects
 * on first use and reconnects by itself (connection.ts); while the connection is down, publishing
 * rejects at once with a
 * `BrokerUnreachableError` (through eventwire, a `PublishError` caused by it).
 * Deliveries are at least once: a message whose ack was lost with the connection comes again.
 * Lag is each group queue's ready message count (lag.ts).
 * Once eventwire traces, amqplib's own OpenTelemetry instrumentation, when active, is kept off
 * eventwire's publishes and consumers, so that no message gets two spans (../client-spans.ts).
 *
 * @example
 * const broker = createRabbitMqBroker({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * await broker.publish('orders', [{ headers: {}, value: Buffer.from('{}') }]);
 */
export function createRabbitMqBroker(options: RabbitMqBrokerOptions): Broker & TopicKeeper & HealthReporter & LagReporter & UnroutableReporter & ClientSpanOwner {
  const settings = validateRabbitMqOptions(options);
  const members = new Set<RabbitMqMember>();
  const unroutable: ((topic: string) => void)[] = [];
  const connection = new RabbitMqConnection(settings, {
    returned: (topic) => {
      for (const listener of unroutable) listener(topic);
    },
    needed: () => members.size > 0,
    recovered: async (session) => {
      for (const member of members) if (member.detached) await member.attach(session.model);
    },
  });
  const context = {
    exchanges: connection.exchanges,
    queueType: settings.queueType,
    prefetch: settings.prefetch,
    redeliveryDelayMs: settings.redeliveryDelayMs,
    logger: settings.logger,
    where: connection.where,
    clientSpans: connection.clientSpans,
    detached: () => connection.scheduleRecovery(),
  };

  return {
    name: 'rabbitmq',
    capabilities: capabilitiesOf(settings.queueType),
    ownClientSpans: () => connection.clientSpans.own(),
    health: () => connection.health(),
    publish(topic, messages, signal) {
      try {
        if (!mayPublish(connection.closed, messages, signal)) return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
      // Rejects with amqplib's error, the server's reason or an unreachable broker: the core
      // words the PublishError.
      const outage = connection.outage;
      if (outage !== undefined) return Promise.reject(outage);
      // Not async: on an open connection the message is written in this turn and the confirm
      // lane's promise is the publish's. On abort it rejects at once; messages already written
      // may still be stored.
      const ready = connection.ready;
      if (ready !== undefined) return ready.lane.send(topic, messages, signal);
      return abortable(connection.session(), signal).then(({ lane }) => lane.send(topic, messages, signal));
    },
    async subscribe(request, deliver): Promise<Subscription> {
      // The prefetch that concurrency sets when `prefetch` is not: AMQP's field is 16 bits.
      if (settings.prefetch === undefined && request.concurrency > maxPrefetch) {
        throw new InvalidArgumentError('concurrency', `Expected \`concurrency\` to be at most ${maxPrefetch} on RabbitMQ (it sets the channel's prefetch, a 16-bit count), got ${request.concurrency}; or set brokerOptions.prefetch.`);
      }
      const current = await connection.session();
      const member = new RabbitMqMember(request, deliver, context);
      members.add(member);
      try {
        await member.attach(current.model);
      } catch (error) {
        members.delete(member);
        throw error;
      }
      const stop = (): void => {
        members.delete(member);
        void member.stop();
      };
      if (request.signal.aborted) stop();
      else request.signal.addEventListener('abort', stop, { once: true });
      return { closed: member.closed };
    },
    async lag(groupId, topics) {
      const outage = connection.outage;
      if (outage !== undefined) throw outage;
      const { model } = connection.ready ?? (await connection.session());
      return rabbitMqLag(model, groupId, topics);
    },
    onUnroutable(listener) {
      unroutable.push(listener);
    },
    keepTopic(topic) {
      return connection.keepTopic(topic);
    },
    async close() {
      if (connection.closed) return;
      for (const member of members) member.abandon();
      members.clear();
      await connection.close();
    },
  };
}
