import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel } from 'amqplib';
import { createMessaging, type Messaging } from '../../entry/index.js';
import { consumerQueues } from '../support/leftover-queues.js';
import { memoryLogger } from '../support/memory-logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

const WAIT = 20_000;

// RabbitMQ drops a message no queue is bound for. eventwire publishes `mandatory`, so that the
// broker returns it before confirming it: the send still resolves (a topic no group subscribed to
// yet is normal at start-up), and the drop is logged once per topic and counted.
describe('RabbitMQ unroutable sends', function () {
  this.timeout(60_000);
  const id = randomBytes(4).toString('hex');
  const exchange = `ew-unroutable-${id}`;
  const queues = consumerQueues();
  const logger = memoryLogger();
  let messaging: Messaging | undefined;
  let admin: ChannelModel | undefined;

  const drops = (): readonly string[] => logger.lines.filter((line) => line.level === 'warn' && line.message.includes('no queue is bound')).map((line) => String(line.fields?.topic));

  before(async function () {
    await requireBroker(this, 'rabbitmq');
    admin = await connect(brokers.rabbitmq.url);
    messaging = createMessaging({ broker: 'rabbitmq', url: brokers.rabbitmq.url, logger, brokerOptions: { exchange } });
  });
  after(async () => {
    await messaging?.close();
    await queues.delete();
    if (admin === undefined) return;
    const channel = await admin.createChannel();
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dlq`);
    await admin.close();
  });

  it('resolves a send to a topic no queue is bound to, counts every such message and warns once per topic', async () => {
    const producer = messaging!.getProducer();
    const topic = `nobody-${id}`;
    await producer.send(topic, { n: 1 });
    // The broker returns the message before it confirms it: counted by the time the send resolved.
    assert.equal(messaging!.stats().unroutable, 1);
    await producer.send(topic, { n: 2 });
    await messaging!.publishEvent('order.placed', { n: 3 }, { topic });
    assert.equal(messaging!.stats().unroutable, 3);
    assert.deepEqual(drops(), [topic], 'one warning for the topic');
    assert.match(logger.lines.find((line) => line.message.includes('no queue is bound'))?.message ?? '', new RegExp(`"${topic}".*Start a consumer of the topic`));
  });

  it('does not report a send to a topic a group subscribed to, nor the dead letter of its message', async () => {
    const topic = `bound-${id}`;
    const group = `g-${id}`;
    queues.add(group, [topic]);
    const before = messaging!.stats().unroutable;
    const failed = deferred<undefined>();
    const deadLetter = deferred<undefined>();
    const stopListening = messaging!.onPublished((published) => {
      if (published === `${topic}.dlq`) deadLetter.resolve(undefined);
    });
    const consumer = messaging!.messageHandler({ topic, groupId: group, maxRetries: 0 }, async () => {
      failed.resolve(undefined);
      throw new Error('dead-letter this one');
    });
    await consumer.start();
    await messaging!.getProducer().send(topic, { n: 1 });
    await withTimeout(failed.promise, WAIT, 'the handler to fail');
    // The dead letter goes to `<topic>.dlq`, whose queue eventwire declared: routable.
    await withTimeout(deadLetter.promise, WAIT, 'the dead letter to be confirmed');
    stopListening();
    await consumer.stop();
    assert.equal(messaging!.stats().unroutable, before, 'neither the send nor the dead letter was returned');
    assert.ok(!drops().includes(topic) && !drops().includes(`${topic}.dlq`));
  });
});
