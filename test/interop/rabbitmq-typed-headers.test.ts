import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect as amqpConnect } from 'amqplib';
import { createRabbitMqBroker } from '../../adapters/rabbitmq/index.js';
import { createMessaging, silentLogger, type Event, type MessageContext, type Messaging } from '../../entry/index.js';
import { consumerQueues } from '../support/leftover-queues.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';
import { producePython, requireClients } from './third-party.js';

const url = brokers.rabbitmq.url;

// pika writes each header with the AMQP type of its Python value; the handler must see those
// types in ctx.typedHeaders, and the same headers as text in ctx.headers.
describe('interop: typed AMQP header values from pika reach the handler typed', function () {
  this.timeout(60_000);
  const id = randomBytes(4).toString('hex');
  const exchange = `ew-typed-${id}`;
  const topic = `typed-${id}`;
  const group = `g-${id}`;
  const queues = consumerQueues();
  let messaging: Messaging | undefined;

  before(async function () {
    await requireBroker(this, 'rabbitmq');
    await requireClients(this, ['pika']);
  });

  after(async () => {
    await messaging?.close();
    await queues.delete();
    const connection = await amqpConnect(url);
    const channel = await connection.createChannel();
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dlq`);
    await connection.close();
  });

  it('gives ints, a 64-bit int, booleans, a nested table, an array, bytes, a timestamp and void their AMQP types', async () => {
    messaging = createMessaging({ broker: createRabbitMqBroker({ url, exchange, logger: silentLogger }), source: 'interop', logger: silentLogger });
    const seen = deferred<{ event: Event; ctx: MessageContext }>();
    queues.add(group, [topic]);
    await messaging.createConsumer({ groupId: group, topics: topic, handlers: { 'interop.typed': (event: Event, ctx: MessageContext) => seen.resolve({ event, ctx }) } }).start();

    const typedHeaders = {
      count: 123_456,
      negative: -7,
      big: 2 ** 40,
      flag: true,
      off: false,
      nested: { level: 2, inner: { name: 'x', ok: true } },
      list: [1, 'two', false],
      bytes: { $bytes: Buffer.from([0xff, 0x00, 0x41]).toString('base64') },
      at: { $timestamp: 1_769_947_200 },
      nothing: null,
    };
    const body = Buffer.from(JSON.stringify({ name: 'interop.typed', data: { n: 1 }, timestamp: '2026-02-01T12:00:00', source: 'legacy-py' }));
    await producePython('produce_rabbitmq.py', { url, topic, options: { exchange }, messages: [{ value: body, typedHeaders, headers: [['text', 'plain']], messageId: `m-${id}` }] });
    const { event, ctx } = await withTimeout(seen.promise, 30_000, 'the handler to receive the pika message');

    assert.equal(event.id, `m-${id}`);
    assert.deepEqual(ctx.typedHeaders, {
      count: 123_456,
      negative: -7,
      big: 2 ** 40,
      flag: true,
      off: false,
      nested: { level: 2, inner: { name: 'x', ok: true } },
      list: [1, 'two', false],
      bytes: Buffer.from([0xff, 0x00, 0x41]),
      at: { '!': 'timestamp', value: 1_769_947_200 },
      nothing: null,
      text: 'plain',
    });
    assert.ok(Buffer.isBuffer(ctx.typedHeaders.bytes), 'a byte array arrives as a Buffer');
    // The text view is unchanged: numbers and tables as JSON text, bytes as UTF-8, void left out.
    assert.equal(ctx.headers.count, '123456');
    assert.equal(ctx.headers.flag, 'true');
    assert.equal(ctx.headers.nested, '{"level":2,"inner":{"name":"x","ok":true}}');
    assert.equal(ctx.headers.text, 'plain');
    assert.equal('nothing' in ctx.headers, false);
  });
});
