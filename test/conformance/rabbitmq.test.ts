import { randomBytes } from 'node:crypto';
import { connect } from 'amqplib';
import { createRabbitMqBroker } from '../../adapters/rabbitmq/index.js';
import type { Broker, TopicKeeper } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { runConformanceSuite } from './suite.js';

// An exchange of its own keeps the suite apart from other runs; the queues it leaves behind
// (`<group>.<topic>`, kept topics and the dead letters' `<topic>.dlq`) are recorded as they
// appear and deleted when the suite ends.
const exchange = `ew-conformance-${randomBytes(4).toString('hex')}`;
const queues = new Set<string>();

function recorded(broker: Broker & TopicKeeper): Broker & TopicKeeper {
  return {
    name: broker.name,
    capabilities: broker.capabilities,
    publish: (topic, messages, signal) => broker.publish(topic, messages, signal),
    subscribe: (request, deliver) => {
      for (const topic of request.topics) queues.add(`${request.groupId}.${topic}`).add(`${topic}.dlq`);
      return broker.subscribe(request, deliver);
    },
    keepTopic: (topic) => {
      queues.add(topic);
      return broker.keepTopic(topic);
    },
    close: () => broker.close(),
  };
}

runConformanceSuite({
  name: 'rabbitmq',
  connect: () => recorded(createRabbitMqBroker({ url: brokers.rabbitmq.url, exchange, logger: silentLogger })),
  prepare: (context) => requireBroker(context, 'rabbitmq'),
  deliveryTimeoutMs: 10_000,
  // A closed connection returns its unacknowledged messages at once.
  crashRedeliveryTimeoutMs: 10_000,
  async cleanup() {
    if (queues.size === 0) return;
    const admin = await connect(brokers.rabbitmq.url);
    const channel = await admin.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dlq`);
    await admin.close();
  },
});
