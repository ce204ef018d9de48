import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel, type ConsumeMessage } from 'amqplib';
import { createMessaging, silentLogger, UnrecoverableError, type Messaging } from '../../entry/index.js';
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
  const wildcard = `wildcard-${id}`;
  const queues = consumerQueues();
  let admin: ChannelModel | undefined;
  const opened: Messaging[] = [];
  const open = (options: Parameters<typeof createMessaging>[0]): Messaging => {
    const messaging = createMessaging(options);
    opened.push(messaging);
    return messaging;
  };

  before(async function () {
    await requireBroker(this, 'rabbitmq');
    admin = await connect(brokers.rabbitmq.url);
  });
  after(async () => {
    await Promise.all(opened.splice(0).map((messaging) => messaging.close()));
    await queues.delete();
    if (admin === undefined) return;
    const channel = await admin.createChannel();
    await channel.deleteQueue(reader);
    await channel.deleteQueue(wildcard);
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dlq`);
    await admin.close();
  });

  it('keeps the body bytes, the AMQP properties and typed headers, and adds the reason headers', async () => {
    const messaging = open({ broker: 'rabbitmq', url: brokers.rabbitmq.url, logger: silentLogger, brokerOptions: { exchange } });
    queues.add(group, [topic]);
    messaging.createConsumer({ groupId: group, topics: [topic], handlers: {} });
    const running = await messaging.runConsumers();

    // The reader's queue is bound before the dead letter is published, so it cannot miss it. Dead
    // letters travel through the dead-letter exchange, `<exchange>.dlq` by default.
    const channel = await admin!.createConfirmChannel();
    await channel.assertQueue(reader, { durable: false });
    await channel.bindQueue(reader, `${exchange}.dlq`, `${topic}.dlq`);
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

  it('routes dead letters through the dead-letter exchange: a wildcard binding on the main exchange gets the event, not its dead letter', async () => {
    const messaging = open({ broker: 'rabbitmq', url: brokers.rabbitmq.url, source: 'dlx-test', logger: silentLogger, brokerOptions: { exchange } });
    const orders = `o${id}.created`;
    queues.add(group, [orders]);
    messaging.createConsumer({ groupId: group, topics: [orders], handlers: { 'order.created': () => { throw new UnrecoverableError('refused by the test'); } } });
    const running = await messaging.runConsumers();
    const channel = await admin!.createConfirmChannel();
    // A wildcard binding on the main exchange: before dead letters had their exchange, it also caught `<topic>.dlq`.
    await channel.assertQueue(wildcard, { durable: false });
    await channel.bindQueue(wildcard, exchange, `o${id}.#`);
    await channel.assertQueue(reader, { durable: false });
    await channel.bindQueue(reader, `${exchange}.dlq`, '#');
    const dead = deferred<ConsumeMessage>();
    await channel.consume(reader, (message) => {
      if (message !== null && message.fields.routingKey === `${orders}.dlq`) dead.resolve(message);
    }, { noAck: true });
    try {
      const event = await messaging.publishEvent('order.created', { n: 1 }, { topic: orders });
      const letter = await withTimeout(dead.promise, 45_000, 'the dead letter on the dead-letter exchange');
      assert.equal(letter.fields.exchange, `${exchange}.dlq`);
      assert.equal(letter.properties.messageId, event.id, 'the dead letter is the event');

      // A marker published after the dead letter was routed: what the wildcard queue holds before
      // it is everything it received of the event and its dead letter.
      channel.publish(exchange, `o${id}.marker`, Buffer.from('marker'));
      await channel.waitForConfirms();
      const received: string[] = [];
      const marked = deferred();
      await channel.consume(wildcard, (message) => {
        if (message === null) return;
        received.push(message.fields.routingKey);
        if (message.fields.routingKey === `o${id}.marker`) marked.resolve();
      }, { noAck: true });
      await withTimeout(marked.promise, 15_000, 'the marker on the wildcard queue');
      assert.deepEqual(received, [orders, `o${id}.marker`], 'the wildcard queue holds the event and the marker, no dead letter');
    } finally {
      await channel.close();
      await running.stop();
    }
  });
});
