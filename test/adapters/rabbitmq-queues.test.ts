import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { connect, type Channel, type ChannelModel } from 'amqplib';
import { createRabbitMqBroker, type RabbitMqBrokerOptions } from '../../adapters/rabbitmq/index.js';
import type { Broker, DeliveryCallback, IncomingMessage, TopicKeeper } from '../../lib/broker.js';
import { createProxy, type TcpProxy } from '../support/proxy.js';
import { BrokerUnreachableError, QueueMismatchError } from '../../lib/errors/index.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

const url = brokers.rabbitmq.url;
const WAIT = 10_000;
const PRECONDITION_FAILED = 406;

describe('RabbitMQ queue types and node lists', function () {
  let admin: ChannelModel;
  let names: { exchange: string; topic: string; group: string; queue: string };
  let opened: Broker[];
  let controllers: AbortController[];
  let proxies: TcpProxy[];

  before(async function () {
    await requireBroker(this, 'rabbitmq');
    admin = await connect(url);
  });

  after(async () => {
    await admin?.close();
  });

  beforeEach(() => {
    const id = randomUUID().slice(0, 8);
    names = { exchange: `ew-test-${id}`, topic: `orders-${id}`, group: `billing-${id}`, queue: `billing-${id}.orders-${id}` };
    opened = [];
    controllers = [];
    proxies = [];
  });

  afterEach(async () => {
    for (const controller of controllers) controller.abort();
    await Promise.all(opened.map((broker) => broker.close()));
    await Promise.all(proxies.map((proxy) => proxy.close()));
    await withChannel(async (channel) => {
      for (const queue of [names.queue, names.topic]) await channel.deleteQueue(queue);
      await channel.deleteExchange(names.exchange);
      await channel.deleteExchange(`${names.exchange}.dlq`);
    });
  });

  function broker(overrides: Partial<RabbitMqBrokerOptions> = {}): Broker & TopicKeeper {
    const created = createRabbitMqBroker({ url, exchange: names.exchange, logger: silentLogger, ...overrides });
    opened.push(created);
    return created;
  }

  function subscribe(target: Broker, deliver: DeliveryCallback): Promise<unknown> {
    const controller = new AbortController();
    controllers.push(controller);
    return target.subscribe({ groupId: names.group, topics: [names.topic], concurrency: 1, signal: controller.signal }, deliver);
  }

  async function withChannel<T>(use: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await admin.createChannel();
    try {
      return await use(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  }

  /** The code with which RabbitMQ refuses to declare `queue` as a classic queue (406 when it is a quorum queue). */
  async function classicRedeclareRefusal(queue: string): Promise<unknown> {
    const channel = await admin.createChannel();
    channel.on('error', () => {});
    try {
      await channel.assertQueue(queue, { durable: true });
      await channel.close();
      return undefined;
    } catch (error) {
      return (error as { code?: unknown }).code;
    }
  }

  async function proxyTo(port: number): Promise<string> {
    const proxy = await createProxy(port);
    proxies.push(proxy);
    const proxied = new URL(url);
    proxied.port = String(proxy.port);
    return proxied.toString();
  }

  const text = (m: IncomingMessage): string => m.value.toString();

  it('declares quorum queues by default, for subscriptions and kept topics', async () => {
    const rabbit = broker();
    await subscribe(rabbit, async () => {});
    await rabbit.keepTopic(names.topic);
    assert.equal(await classicRedeclareRefusal(names.queue), PRECONDITION_FAILED, 'the group queue is not a classic queue');
    assert.equal(await classicRedeclareRefusal(names.topic), PRECONDITION_FAILED, 'the kept queue is not a classic queue');
  });

  it('refuses to subscribe over an existing classic queue with a QueueMismatchError that says what to do', async () => {
    await broker({ queueType: 'classic' }).keepTopic(names.topic);
    await subscribe(broker({ queueType: 'classic' }), async () => {});
    await assert.rejects(subscribe(broker(), async () => {}), (error: unknown) => {
      assert.ok(error instanceof QueueMismatchError, String(error));
      assert.equal(error.code, 'EVENTWIRE_QUEUE_MISMATCH');
      assert.equal(error.queue, names.queue);
      assert.match(error.message, /a queue's type cannot change in place/);
      assert.match(error.message, /set `queueType: 'classic'`/);
      assert.match(error.message, /docs\/clusters\.md/);
      return true;
    });
    await assert.rejects(broker().keepTopic(names.topic), QueueMismatchError);
  });

  it('keeps consuming an existing classic queue with queueType classic', async () => {
    await subscribe(broker({ queueType: 'classic' }), async () => {});
    await opened[0]?.close();
    const received = deferred<IncomingMessage>();
    const rabbit = broker({ queueType: 'classic' });
    await subscribe(rabbit, async (m) => received.resolve(m));
    await rabbit.publish(names.topic, [{ headers: {}, value: Buffer.from('still classic') }]);
    assert.equal(text(await withTimeout(received.promise, WAIT, 'the message')), 'still classic');
  });

  it('counts redeliveries on a quorum queue', async () => {
    const counts: (number | undefined)[] = [];
    const third = deferred();
    const rabbit = broker({ redeliveryDelayMs: 0 });
    await subscribe(rabbit, async (m) => {
      counts.push(m.deliveryCount);
      if (counts.length < 3) throw new Error('not yet');
      third.resolve();
    });
    await rabbit.publish(names.topic, [{ headers: {}, value: Buffer.from('x') }]);
    await withTimeout(third.promise, WAIT, 'the third delivery');
    assert.deepEqual(counts, [1, 2, 3]);
  });

  it('connects to the first node of the list that answers', async () => {
    const received = deferred<IncomingMessage>();
    const rabbit = broker({ url: ['amqp://guest:guest@127.0.0.1:1', url] });
    await subscribe(rabbit, async (m) => received.resolve(m));
    await rabbit.publish(names.topic, [{ headers: {}, value: Buffer.from('via the second') }]);
    assert.equal(text(await withTimeout(received.promise, WAIT, 'the message')), 'via the second');
  });

  it('reconnects to another node of the list when its node is lost', async () => {
    const port = Number(new URL(url).port || 5672);
    const [first, second] = [await proxyTo(port), await proxyTo(port)];
    const seen: string[] = [];
    const arrived = { before: deferred(), after: deferred() };
    const consumer = broker({ url: [first, second], reconnectDelayMs: 50 });
    await subscribe(consumer, async (m) => {
      seen.push(text(m));
      arrived[text(m) as 'before' | 'after'].resolve();
    });
    await broker().publish(names.topic, [{ headers: {}, value: Buffer.from('before') }]);
    await withTimeout(arrived.before.promise, WAIT, 'the first message');

    const lost = proxies[0] as TcpProxy;
    lost.refuse(true);
    lost.cut();
    await broker().publish(names.topic, [{ headers: {}, value: Buffer.from('after') }]);
    await withTimeout(arrived.after.promise, WAIT, 'the message after reconnecting to the other node');
    assert.deepEqual([...new Set(seen)], ['before', 'after']);
    await consumer.publish(names.topic, [{ headers: {}, value: Buffer.from('published through the other node') }]);
  });

  it('names every node when none answers, without their passwords', async () => {
    const rabbit = broker({ url: ['amqp://guest:secret@127.0.0.1:1', 'amqp://guest:secret@127.0.0.1:2'] });
    await assert.rejects(withTimeout(rabbit.publish(names.topic, [{ headers: {}, value: Buffer.from('x') }]), 5000, 'the publish to fail'), (error: unknown) => {
      const cause = error;
      assert.ok(cause instanceof BrokerUnreachableError, String(error));
      assert.match(cause.message, /none of the 2 nodes answered \(amqp:\/\/guest:\*\*\*@127\.0\.0\.1:1, amqp:\/\/guest:\*\*\*@127\.0\.0\.1:2\)/);
      assert.ok(!cause.message.includes('secret'));
      return true;
    });
  });
});
