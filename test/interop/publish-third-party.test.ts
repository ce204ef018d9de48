import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { connect as amqpConnect } from 'amqplib';
import { createMessaging, silentLogger, type MessagingOptions } from '../../entry/index.js';
import { brokerUrl } from '../support/broker-address.js';
import { requireBroker, type RealBrokerName } from '../support/require-broker.js';
import { consumePython, requireClients, type ThirdPartyRead } from './third-party.js';

// eventwire → a consumer the project did not write, in each envelope eventwire can write: the
// bytes, key, headers and AMQP properties as confluent-kafka, pika and redis-py see them.

const envelopes = [
  { name: 'eventwire', options: {} },
  { name: 'CloudEvents binary', options: { envelope: 'cloudevents', cloudEventsMode: 'binary' } },
  { name: 'CloudEvents structured', options: { envelope: 'cloudevents', cloudEventsMode: 'structured' } },
] as const;

const readers = {
  kafka: { script: 'consume_kafka.py', client: 'confluent-kafka', prefix: 'ce_' },
  rabbitmq: { script: 'consume_rabbitmq.py', client: 'pika', prefix: 'cloudEvents:' },
  redis: { script: 'consume_redis.py', client: 'redis-py', prefix: 'ce_' },
} as const;

/**
 * A header as the reader sees it: a Kafka record header or an AMQP header; on Redis a key of the
 * entry's `headers` field, the JSON object of strings eventwire writes (docs/wire-format.md).
 */
function text(read: ThirdPartyRead, header: string): string | undefined {
  const json = read.headers.get('headers');
  if (json !== undefined) return (JSON.parse(json.toString('utf8')) as Record<string, string>)[header];
  return read.headers.get(header)?.toString('utf8');
}

describe('third-party consumers read what eventwire publishes', function () {
  this.timeout(90_000);

  for (const broker of ['kafka', 'rabbitmq', 'redis'] as const satisfies readonly RealBrokerName[]) {
    const reader = readers[broker];
    for (const envelope of envelopes) {
      it(`${reader.client} reads the ${envelope.name} envelope from ${broker}`, async function () {
        await requireBroker(this, broker);
        await requireClients(this, [reader.client]);
        const topic = `ew-interop-out-${randomUUID().slice(0, 8)}`;
        const url = brokerUrl(broker);
        const address: Partial<MessagingOptions> = broker === 'kafka' ? { bootstrapServers: url } : { url };
        const messaging = createMessaging({ broker, ...address, source: 'order-service', logger: silentLogger, ...envelope.options });
        // RabbitMQ drops what no queue is bound to: bind one first, as a third-party service would.
        const amqp = broker === 'rabbitmq' ? await amqpConnect(url) : undefined;
        try {
          if (amqp !== undefined) {
            const channel = await amqp.createChannel();
            await channel.assertExchange('eventwire', 'topic', { durable: true });
            await channel.assertQueue(topic, { durable: false, autoDelete: false });
            await channel.bindQueue(topic, 'eventwire', topic);
          }
          const sent = await messaging.publishEvent('order.placed', { orderId: 7 }, { topic, key: '7' });
          const [read] = await consumePython(reader.script, { url, topic, count: 1, queue: topic });
          assert.ok(read !== undefined);
          const body = JSON.parse(read.value.toString('utf8')) as Record<string, unknown>;
          if (envelope.name === 'eventwire') {
            assert.deepEqual(body, { id: sent.id, name: 'order.placed', data: { orderId: 7 }, timestamp: sent.timestamp, source: 'order-service' });
            assert.equal(text(read, 'eventwire-event'), 'order.placed');
          } else if (envelope.name === 'CloudEvents binary') {
            assert.deepEqual(body, { orderId: 7 });
            const attribute = (name: string): string | undefined => text(read, `${reader.prefix}${name}`);
            assert.deepEqual(
              ['specversion', 'id', 'source', 'type', 'time', 'partitionkey'].map(attribute),
              ['1.0', sent.id, 'order-service', 'order.placed', sent.timestamp, '7'],
            );
            assert.equal(broker === 'rabbitmq' ? read.contentType : text(read, 'content-type'), 'application/json');
          } else {
            assert.deepEqual(
              [body.specversion, body.id, body.type, body.source, body.time, body.datacontenttype, body.data],
              ['1.0', sent.id, 'order.placed', 'order-service', sent.timestamp, 'application/json', { orderId: 7 }],
            );
            assert.match((broker === 'rabbitmq' ? read.contentType : text(read, 'content-type')) ?? '', /^application\/cloudevents\+json/);
          }
          if (broker === 'rabbitmq') assert.equal(read.messageId, sent.id);
          else assert.equal(read.key?.toString('utf8'), '7');
        } finally {
          if (amqp !== undefined) {
            const channel = await amqp.createChannel();
            await channel.deleteQueue(topic);
            await amqp.close();
          }
          await messaging.close();
        }
      });
    }
  }
});
