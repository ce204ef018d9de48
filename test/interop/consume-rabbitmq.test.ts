import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { connect as amqpConnect } from 'amqplib';
import { createRabbitMqBroker } from '../../adapters/rabbitmq/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { consumeCases, type Binding, type ConsumeCase } from './consume-cases.js';
import { runCases } from './run-cases.js';
import { requireClients } from './third-party.js';

const url = brokers.rabbitmq.url;
// An exchange of its own keeps the suite apart from other runs; it and the queues are deleted after.
const exchange = `ew-interop-${randomBytes(4).toString('hex')}`;

/** pika writes AMQP messages: CloudEvents attributes as `cloudEvents:*` headers, the data content type as `content_type`. */
const binding: Binding = {
  cePrefix: 'cloudEvents:',
  binary: (attributes, contentType) => ({ headers: Object.entries(attributes).map(([name, value]) => [`cloudEvents:${name}`, value] as const), contentType }),
  contentType: (contentType) => ({ contentType }),
  key: (key) => ({ headers: [['eventwire-key', key]] }),
  // Without a message_id the id is derived from the bytes (docs/wire-format.md).
  pythonId: () => /^sha256:[0-9a-f]{32}$/,
};

const messageId = `py-${randomUUID()}`;
/** The Python original's envelope with an AMQP message_id: that is its id. */
const withMessageId: ConsumeCase = {
  label: 'python-message-id',
  message: { value: Buffer.from(JSON.stringify({ name: 'interop.python', data: { case: 'python-message-id' }, timestamp: '2026-02-01T12:00:00+00:00', source: 'legacy-py' })), messageId },
  check(outcome) {
    assert.equal(outcome.kind, 'handled');
    if (outcome.kind === 'handled') assert.equal(outcome.event.id, messageId);
  },
};

/** The JMS-compatible spelling `cloudEvents_*` of the AMQP binding. */
const underscored: ConsumeCase = {
  label: 'ce-underscore',
  message: {
    value: Buffer.from('{"case":"ce-underscore"}'),
    headers: [['cloudEvents_specversion', '1.0'], ['cloudEvents_id', 'u-1'], ['cloudEvents_source', 'svc'], ['cloudEvents_type', 'interop.ce-binary'], ['cloudEvents_traceparent', '00-abc-01']],
    contentType: 'application/json',
  },
  check(outcome) {
    assert.equal(outcome.kind, 'handled');
    if (outcome.kind !== 'handled') return;
    assert.deepEqual([outcome.event.id, outcome.event.name, outcome.event.cloudEvent?.extensions.traceparent], ['u-1', 'interop.ce-binary', '00-abc-01']);
  },
};

describe('interop: third-party producers → eventwire consumer on RabbitMQ', function () {
  this.timeout(60_000);
  const opened: Broker[] = [];
  const topics: string[] = [];

  before(async function () {
    await requireBroker(this, 'rabbitmq');
    await requireClients(this, ['pika']);
  });

  after(async () => {
    await Promise.all(opened.splice(0).map((broker) => broker.close()));
    if (topics.length === 0) return; // skipped: nothing was declared
    const connection = await amqpConnect(url);
    const channel = await connection.createChannel();
    for (const topic of topics) {
      for (const queue of [`interop.${topic}`, `interop-ops.${topic}.dlq`, `${topic}.dlq`]) await channel.deleteQueue(queue);
    }
    await channel.deleteExchange(exchange);
    await channel.deleteExchange(`${exchange}.dlq`);
    await connection.close();
  });

  it('handles or dead-letters with a reason each message pika writes, and keeps consuming', async () => {
    const topic = `ew-interop-${randomBytes(4).toString('hex')}`;
    topics.push(topic);
    const connect = (): Broker => {
      const broker = createRabbitMqBroker({ url, exchange, logger: silentLogger });
      opened.push(broker);
      return broker;
    };
    const cases = [...consumeCases(binding), withMessageId, underscored];
    await runCases({ connect, topic, script: 'produce_rabbitmq.py', url, scriptOptions: { exchange }, cases, timeoutMs: 15_000 });
  });
});
