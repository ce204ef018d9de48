import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createMessaging, silentLogger, type Messaging } from '../../entry/index.js';
import { consumerQueues } from '../support/leftover-queues.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

// The README's promise: a dead letter is the message unchanged, with the eventwire-* reason
// headers added. Checked here with what only a raw AMQP client writes: the publisher's own AMQP
// properties and typed header values (an int, a boolean, a nested table, a byte array).
describe('RabbitMQ dead letters are byte-exact', function () {
  this.timeout(60_000);
  const id = randomBytes(4).toString('hex');
  const exchange = `ew-dlq-bytes-${id}`;
  const topic = `orders-${id}`;
  const group = `g-${id}`;
  const reader = `reader-${id}`;
  const queues = consumerQueues();
  let admin: ChannelModel | undefined;
  let messaging: Messaging | undefined;

  before(async function () {
    await requireBroker(this, 'rabbitmq');
    admin = await connect(brokers.rabbitmq.url);
  });
  after(async () => {
    await messaging?.close();
    await queues.delete();
    if (admin === undefined) return;
    const channel = await admin.createChannel();
    await channel.deleteQueue(reader);
    await channel.deleteExchange(exchange);
    await admin.close();
  });

  it('keeps the body bytes, the AMQP properties and typed headers, and adds the reason headers', async () => {
    messaging = createMessaging({ broker: 'rabbitmq', url: brokers.rabbitmq.url, logger: silentLogger, brokerOptions: { exchange } });
    queues.add(group, [topic]);
    messaging.createConsumer({ groupId: group, topics: [topic], handlers: {} });
    const running = await messaging.runConsumers();

    // The reader's queue is bound before the dead letter is published, so it cannot miss it.
    const channel = await admin!.createConfirmChannel();
    await channel.assertQueue(reader, { durable: false });
    await channel.bindQueue(reader, exchange, `${topic}.dlq`);
    const dead = deferred<ConsumeMessage>();
    await channel.consume(reader, (message) => {
      if (message !== null) dead.resolve(message);
    }, { noAck: true });

    const body = Buffer.from([0x6e, 0x6f, 0xff, 0x00]); // not JSON: dead-lettered at once
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = { count: 123_456, flag: true, nested: { level: 2, inner: { name: 'x' } }, bytes: Buffer.from([0xff, 0x00]), text: 'plain' };
    const properties = {
      messageId: `m-${id}`,
      correlationId: `c-${id}`,
      appId: 'legacy-app',
      type: 'order.raw',
      timestamp,
      contentEncoding: 'identity',
      contentType: 'application/octet-stream',
    };
    try {
      channel.publish(exchange, topic, body, { ...properties, headers, persistent: true });
      await channel.waitForConfirms();
      const letter = await withTimeout(dead.promise, 45_000, 'the dead letter on the reader queue');

      assert.deepEqual(letter.content, body, 'the body keeps its bytes');
      for (const [name, value] of Object.entries(properties)) assert.equal(letter.properties[name as keyof typeof properties], value, `the ${name} property is kept`);
      const received = letter.properties.headers ?? {};
      assert.equal(received.count, 123_456, 'an int header stays a number');
      assert.equal(received.flag, true, 'a boolean header stays a boolean');
      assert.deepEqual(received.nested, headers.nested, 'a table header stays a table');
      assert.deepEqual(received.bytes, headers.bytes, 'a byte-array header keeps its bytes');
      assert.equal(received.text, 'plain');
      assert.equal(received['eventwire-reason'], 'malformed');
      assert.equal(received['eventwire-original-topic'], topic);
      assert.equal(received['eventwire-group'], group);
    } finally {
      await channel.close();
      await running.stop();
    }
  });
});
