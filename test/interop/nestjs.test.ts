import 'reflect-metadata';
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { ServerKafka, ServerRMQ, type KafkaContext } from '@nestjs/microservices';
import { connect as amqpConnect } from 'amqplib';
import { createRabbitMqBroker } from '../../adapters/rabbitmq/index.js';
import { createMessaging, silentLogger, type Messaging } from '../../entry/index.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

/** The part of a NestJS server these tests use (ServerRMQ and ServerKafka declare more, with Nest's own types). */
interface NestServer {
  addHandler(pattern: string, callback: (data: unknown, ctx?: unknown) => Promise<unknown>, isEventHandler?: boolean): void;
  listen(callback: (error?: unknown) => void): Promise<void>;
  close(): Promise<void>;
}

const listen = (server: NestServer): Promise<void> =>
  new Promise((resolve, reject) => void server.listen((error) => (error === undefined ? resolve() : reject(error instanceof Error ? error : new Error(String(error))))));

/**
 * The mapping docs/wire-format.md ("NestJS") documents for Nest's RabbitMQ transport: the event
 * name as Nest's pattern (eventwire's `name`, a structured CloudEvent's `type`, a binary one's
 * `cloudEvents:type` header) and the whole message body as its data. No `id` in the packet: Nest
 * then treats it as an event, not as a request to answer.
 */
const eventwireDeserializer = {
  deserialize(value: { name?: string; type?: string } | null, properties?: { headers?: Record<string, unknown> }): { pattern: string; data: unknown } {
    return { pattern: String(value?.name ?? value?.type ?? properties?.headers?.['cloudEvents:type']), data: value };
  },
};

describe('interop: NestJS microservices consume eventwire events', function () {
  this.timeout(90_000);
  const id = randomBytes(4).toString('hex');
  const servers: NestServer[] = [];
  const opened: Messaging[] = [];

  after(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
    await Promise.all(opened.splice(0).map((messaging) => messaging.close()));
  });

  describe('RabbitMQ transport (ServerRMQ)', () => {
    const exchange = `ew-nest-${id}`;
    const topic = `orders-${id}`;
    const queue = `nest-${id}`;

    before(async function () {
      await requireBroker(this, 'rabbitmq');
    });
    after(async () => {
      const connection = await amqpConnect(brokers.rabbitmq.url);
      const channel = await connection.createChannel();
      await channel.deleteQueue(queue);
      await channel.deleteExchange(exchange);
      await channel.deleteExchange(`${exchange}.dlq`);
      await connection.close();
    });

    it('dispatches eventwire\'s envelope and a CloudEvent by event name with the documented deserializer', async () => {
      const placed = deferred<unknown>();
      const shipped = deferred<unknown>();
      // Nest binds its queue to eventwire's exchange with the topic as routing key.
      const server = new ServerRMQ({ urls: [brokers.rabbitmq.url], queue, queueOptions: { durable: false }, exchange, exchangeType: 'topic', routingKey: topic, noAck: true, deserializer: eventwireDeserializer }) as unknown as NestServer;
      servers.push(server);
      server.addHandler('order.placed', async (data) => placed.resolve(data), true);
      server.addHandler('order.shipped', async (data) => shipped.resolve(data), true);
      await listen(server);

      const plain = createMessaging({ broker: createRabbitMqBroker({ url: brokers.rabbitmq.url, exchange, logger: silentLogger }), source: 'shop', logger: silentLogger });
      const cloud = createMessaging({ broker: createRabbitMqBroker({ url: brokers.rabbitmq.url, exchange, logger: silentLogger }), source: 'shop', logger: silentLogger, envelope: 'cloudevents', cloudEventsMode: 'structured' });
      opened.push(plain, cloud);
      const event = await plain.publishEvent('order.placed', { orderId: 7 }, { topic });
      const ce = await cloud.publishEvent('order.shipped', { orderId: 7 }, { topic });

      assert.deepEqual(await withTimeout(placed.promise, 30_000, 'Nest\'s order.placed handler'), { ...event });
      const received = (await withTimeout(shipped.promise, 30_000, 'Nest\'s order.shipped handler')) as Record<string, unknown>;
      assert.deepEqual([received.type, received.id, received.data], ['order.shipped', ce.id, { orderId: 7 }]);
    });
  });

  describe('Kafka transport (ServerKafka)', () => {
    const topic = `ew-nest-${id}`;

    before(async function () {
      await requireBroker(this, 'kafka');
    });

    it('hands eventwire\'s envelope to the handler of the topic, with no deserializer of its own', async () => {
      const messaging = createMessaging({ broker: 'kafka', bootstrapServers: brokers.kafka.url, source: 'shop', logger: silentLogger });
      opened.push(messaging);
      // The topic exists before Nest subscribes to it; Nest reads it from the beginning.
      const event = await messaging.publishEvent('order.placed', { orderId: 7 }, { topic, key: '7' });
      const seen = deferred<{ data: unknown; key: string | undefined }>();
      const server = new ServerKafka({ client: { clientId: `nest-${id}`, brokers: [brokers.kafka.url], logLevel: 0 }, consumer: { groupId: `nest-${id}` }, subscribe: { fromBeginning: true } }) as unknown as NestServer;
      servers.push(server);
      server.addHandler(topic, async (data, ctx) => seen.resolve({ data, key: (ctx as KafkaContext).getMessage().key?.toString() }), true);
      await listen(server);
      const { data, key } = await withTimeout(seen.promise, 60_000, 'Nest\'s handler of the topic');
      assert.deepEqual(data, { ...event });
      assert.equal(key, '7');
    });
  });
});
