import type { Broker, BrokerCapabilities, BrokerConfig, OutgoingMessage, Subscription, TopicKeeper } from '../../lib/broker.js';
import { abortable } from '../../lib/settle.js';
import { expectKnownKeys } from '../../lib/validate.js';
import { RabbitMqConnection } from './connection.js';
import { publishFailure } from './failures.js';
import { RabbitMqMember } from './member.js';
import { rabbitMqTunables, validateRabbitMqOptions, type RabbitMqBrokerOptions } from './options.js';

export type { RabbitMqBrokerOptions } from './options.js';

const capabilities: BrokerCapabilities = { persistent: true, deliveryCount: false, keyAffinity: false };
/** A rejected message waits this long before its nack, so that a failing message does not spin hot. */
const REDELIVERY_DELAY_MS = 200;

/**
 * A broker over RabbitMQ: one durable topic exchange (routing key = topic), one durable queue
 * `<group>.<topic>` per group and topic, publisher confirms, manual acks. Messages are persistent
 * `application/json` with the caller's headers, the key in `eventwire-key` and as `messageId` the
 * `eventwire-id` header or a fresh UUID (codec.ts). Connects on first use and reconnects by itself
 * (connection.ts); while the connection is down, publishing rejects with a `PublishError`.
 * Deliveries are at least once: a message whose ack was lost with the connection comes again.
 *
 * @example
 * const broker = createRabbitMqBroker({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * await broker.publish('orders', [{ headers: {}, value: Buffer.from('{}') }]);
 */
export function createRabbitMqBroker(options: RabbitMqBrokerOptions): Broker & TopicKeeper {
  const settings = validateRabbitMqOptions(options);
  const members = new Set<RabbitMqMember>();
  const connection = new RabbitMqConnection(settings, {
    needed: () => members.size > 0,
    recovered: async (session) => {
      for (const member of members) if (member.detached) await member.attach(session.model);
    },
  });
  const context = {
    exchange: settings.exchange,
    prefetch: settings.prefetch,
    redeliveryDelayMs: REDELIVERY_DELAY_MS,
    logger: settings.logger,
    where: connection.where,
    detached: () => connection.scheduleRecovery(),
  };

  /** A publish that has to wait for the connection first, or has nothing to send, or is aborted already. */
  const publishLater = async (topic: string, messages: readonly OutgoingMessage[], signal: AbortSignal | undefined): Promise<void> => {
    signal?.throwIfAborted();
    if (messages.length === 0) return;
    try {
      const outage = connection.outage;
      if (outage !== undefined) throw outage;
      // On abort the promise rejects at once; messages already written may still be stored.
      const { lane } = connection.ready ?? (await abortable(connection.session(), signal));
      await lane.send(topic, messages, signal);
    } catch (error) {
      throw publishFailure(topic, messages.length, error, signal);
    }
  };

  return {
    name: 'rabbitmq',
    capabilities,
    publish(topic, messages, signal) {
      const session = connection.ready;
      // Connected (so no outage) and nothing to skip: the lane is called in the caller's turn and
      // its promise handed on, with no async frame or await between the caller and the channel.
      if (session === undefined || messages.length === 0 || signal?.aborted === true) return publishLater(topic, messages, signal);
      return session.lane.send(topic, messages, signal).catch((error: unknown) => {
        throw publishFailure(topic, messages.length, error, signal);
      });
    },
    async subscribe(request, deliver): Promise<Subscription> {
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

/**
 * The factory used by `configureMessaging({ broker: 'rabbitmq' })`. `brokerOptions` may hold
 * `exchange`, `prefetch` and `reconnectDelayMs`.
 *
 * @example
 * const broker = rabbitMqBrokerFactory({ url: 'amqp://127.0.0.1', clientOptions: {}, brokerOptions: { prefetch: 20 }, logger });
 */
export function rabbitMqBrokerFactory(config: BrokerConfig): Broker {
  expectKnownKeys('RabbitMQ brokerOptions', config.brokerOptions, rabbitMqTunables);
  return createRabbitMqBroker({ ...config.brokerOptions, url: config.url, clientOptions: config.clientOptions, logger: config.logger });
}
