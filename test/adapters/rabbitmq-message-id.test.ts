import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect, type ChannelModel } from 'amqplib';
import { createMessaging, silentLogger, type MessageContext, type Messaging } from '../../entry/index.js';
import { consumerQueues } from '../support/leftover-queues.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

const WAIT = 20_000;

/** What a handler saw of one delivery. */
interface Seen {
  readonly messageId: string;
  readonly transportFields: MessageContext['transportFields'];
}

// ctx.messageId on RabbitMQ is the publisher's AMQP message_id, the same on every delivery; the
// delivery tag, which numbers deliveries on one channel, is ctx.transportFields.deliveryTag.
describe('RabbitMQ ctx.messageId', function () {
  this.timeout(60_000);
  const id = randomBytes(4).toString('hex');
  const exchange = `ew-message-id-${id}`;
  const topic = `orders-${id}`;
  const group = `g-${id}`;
  const queues = consumerQueues();
  let admin: ChannelModel | undefined;
  const instances: Messaging[] = [];

  const open = (): Messaging => {
    const messaging = createMessaging({ broker: 'rabbitmq', url: brokers.rabbitmq.url, logger: silentLogger, brokerOptions: { exchange } });
    instances.push(messaging);
    return messaging;
  };

  before(async function () {
    await requireBroker(this, 'rabbitmq');
    admin = await connect(brokers.rabbitmq.url);
  });
  after(async () => {
    for (const messaging of instances) await messaging.close();
    await queues.delete();
    if (admin === undefined) return;
    const channel = await admin.createChannel();
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dlq`);
    await admin.close();
  });

  async function publishRaw(body: string, messageId: string | undefined): Promise<void> {
    const channel = await admin!.createConfirmChannel();
    try {
      channel.publish(exchange, topic, Buffer.from(body), { persistent: true, contentType: 'application/json', ...(messageId === undefined ? {} : { messageId }) });
      await channel.waitForConfirms();
    } finally {
      await channel.close();
    }
  }

  it('is the AMQP message_id, and a redelivery to another worker keeps it', async () => {
    queues.add(group, [topic]);
    const first = deferred<Seen>();
    const again = deferred<Seen>();
    // The first worker fails the first attempt and waits a minute to retry: closing it abandons
    // the delivery, which RabbitMQ then delivers again to the second worker.
    const failing = open();
    await failing
      .messageHandler({ topic, groupId: group, maxRetries: 3, retryDelayMs: 60_000 }, async (_payload, ctx) => {
        first.resolve({ messageId: ctx.messageId, transportFields: ctx.transportFields });
        throw new Error('fails the first attempt');
      })
      .start();
    await publishRaw('{"order":1}', 'm-1');
    const seen = await withTimeout(first.promise, WAIT, 'the first delivery');
    assert.equal(seen.messageId, 'm-1');
    assert.equal(typeof seen.transportFields.deliveryTag, 'number', 'the delivery tag is a transport field');
    assert.equal(seen.transportFields.redelivered, false);
    await failing.close();

    await open()
      .messageHandler({ topic, groupId: group }, async (_payload, ctx) => {
        again.resolve({ messageId: ctx.messageId, transportFields: ctx.transportFields });
      })
      .start();
    const redelivered = await withTimeout(again.promise, WAIT, 'the redelivery');
    assert.equal(redelivered.transportFields.redelivered, true, 'RabbitMQ delivered it again');
    assert.equal(redelivered.messageId, 'm-1', 'the redelivery keeps the message id');
  });

  it('is derived from topic and body when the publisher set no message_id', async () => {
    const group2 = `${group}-plain`;
    queues.add(group2, [topic]);
    const got = deferred<string>();
    await open()
      .messageHandler({ topic, groupId: group2 }, async (_payload, ctx) => got.resolve(ctx.messageId))
      .start();
    await publishRaw('{"order":2}', undefined);
    assert.match(await withTimeout(got.promise, WAIT, 'the delivery without message_id'), /^sha256:[0-9a-f]{32}$/);
  });
});
