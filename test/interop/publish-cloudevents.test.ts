import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { CloudEvent, Kafka as KafkaBinding, type KafkaMessage } from 'cloudevents';
import { Kafka, logLevel } from 'kafkajs';
import { createMessaging, silentLogger, type Event, type MessagingOptions } from '../../entry/index.js';
import { recordPublished } from '../../entry/testing.js';
import { brokerUrl } from '../support/broker-address.js';
import { deleteQueues } from '../support/leftover-queues.js';
import { requireBroker, type RealBrokerName } from '../support/require-broker.js';
import { withTimeout } from '../support/wait.js';

// envelope: 'cloudevents' writes CloudEvents 1.0 that the official SDK parses, in both content
// modes, and that eventwire's own consumers read back on every broker.

const modes = ['binary', 'structured'] as const;

function addressOf(broker: RealBrokerName): Partial<MessagingOptions> {
  return broker === 'kafka' ? { bootstrapServers: brokerUrl('kafka') } : { url: brokerUrl(broker) };
}

describe("envelope: 'cloudevents'", function () {
  this.timeout(60_000);

  for (const mode of modes) {
    it(`writes ${mode}-mode CloudEvents the cloudevents SDK's Kafka binding parses`, async () => {
      const messaging = createMessaging({ broker: 'memory', source: 'order-service', logger: silentLogger, envelope: 'cloudevents', cloudEventsMode: mode });
      try {
        const recorder = recordPublished(messaging);
        const event = await messaging.publishEvent('order.placed', { orderId: 7 }, { topic: 'orders', key: 7 });
        const [message] = recorder.messages;
        assert.ok(message !== undefined);
        const value = JSON.stringify(message.payload);
        const onTheWire: KafkaMessage<string> = { key: message.key ?? '', headers: { ...message.headers }, value, body: value };
        const parsed = KafkaBinding.toEvent(onTheWire) as CloudEvent<unknown>;
        assert.equal(parsed.specversion, '1.0');
        assert.equal(parsed.id, event.id);
        assert.equal(parsed.type, 'order.placed');
        assert.equal(parsed.source, 'order-service');
        assert.equal(parsed.time, event.timestamp);
        assert.deepEqual(parsed.data, { orderId: 7 });
        assert.equal(parsed['partitionkey'], '7');
        assert.equal(parsed.datacontenttype, 'application/json');
        // The recorder reads the event back from the CloudEvent.
        assert.deepEqual([recorder.events[0]?.name, recorder.events[0]?.id], ['order.placed', event.id]);
      } finally {
        await messaging.close();
      }
    });
  }

  it('refuses an unknown envelope and a mode without the cloudevents envelope, naming the option', () => {
    assert.throws(() => createMessaging({ broker: 'memory', envelope: 'json' as never }), { code: 'EVENTWIRE_INVALID_ARGUMENT', message: /`envelope` to be 'eventwire' or 'cloudevents', got "json"/ });
    assert.throws(() => createMessaging({ broker: 'memory', cloudEventsMode: 'structured' }), { code: 'EVENTWIRE_INVALID_ARGUMENT', message: /applies to `envelope: 'cloudevents'` only/ });
    assert.throws(() => createMessaging({ broker: 'memory', envelope: 'cloudevents', cloudEventsMode: 'batch' as never }), { code: 'EVENTWIRE_INVALID_ARGUMENT', message: /`cloudEventsMode` to be 'binary' or 'structured'/ });
  });

  for (const broker of ['memory', 'redis', 'rabbitmq', 'kafka'] as const) {
    for (const mode of modes) {
      it(`round-trips ${mode}-mode CloudEvents through ${broker} to an eventwire consumer`, async function () {
        if (broker !== 'memory') await requireBroker(this, broker);
        const id = randomUUID().slice(0, 8);
        const topic = `ew-ce-${id}`;
        const options: MessagingOptions = { broker, ...(broker === 'memory' ? {} : addressOf(broker)), source: 'order-service', logger: silentLogger };
        const producer = createMessaging({ ...options, envelope: 'cloudevents', cloudEventsMode: mode });
        const consumer = createMessaging(options);
        try {
          const received = Promise.withResolvers<Event>();
          consumer.createConsumer({ groupId: `g-${id}`, topics: [topic], handlers: { 'order.placed': async (event) => received.resolve(event) } });
          const running = await consumer.runConsumers();
          const sent = await producer.publishEvent('order.placed', { orderId: 9 }, { topic, key: 'k-9' });
          const event = await withTimeout(received.promise, 30_000, `the ${mode} CloudEvent on ${broker}`);
          assert.deepEqual([event.id, event.name, event.source, event.timestamp, event.data], [sent.id, 'order.placed', 'order-service', sent.timestamp, { orderId: 9 }]);
          assert.equal(event.cloudEvent?.mode, mode);
          assert.equal(event.cloudEvent?.extensions?.['partitionkey'], 'k-9');
          await running.stop();
        } finally {
          await producer.close();
          await consumer.close();
          if (broker === 'rabbitmq') await deleteQueues([`g-${id}.${topic}`, `${topic}.dlq`]);
        }
      });
    }
  }

  it("consumes the CloudEvents the cloudevents SDK's Kafka binding writes, in both modes", async function () {
    await requireBroker(this, 'kafka');
    const id = randomUUID().slice(0, 8);
    const topic = `ew-ce-sdk-${id}`;
    const messaging = createMessaging({ broker: 'kafka', bootstrapServers: brokerUrl('kafka'), source: 'tests', logger: silentLogger });
    const client = new Kafka({ brokers: [brokerUrl('kafka')], logLevel: logLevel.NOTHING });
    const producer = client.producer();
    try {
      const seen: Event[] = [];
      const both = Promise.withResolvers<undefined>();
      messaging.createConsumer({
        groupId: `g-${id}`,
        topics: [topic],
        handlers: {
          'com.example.order.placed': async (event) => {
            if (seen.push(event) === 2) both.resolve(undefined);
          },
        },
      });
      const running = await messaging.runConsumers();
      await producer.connect();
      const make = (n: number): CloudEvent<unknown> => new CloudEvent({ id: `sdk-${n}`, source: '/sdk', type: 'com.example.order.placed', datacontenttype: 'application/json', data: { n }, partitionkey: `k${n}` });
      for (const written of [KafkaBinding.binary(make(1)), KafkaBinding.structured(make(2))]) {
        const headers = Object.fromEntries(Object.entries(written.headers).map(([name, value]) => [name, String(value)]));
        const value = typeof written.value === 'string' ? written.value : JSON.stringify(written.value);
        await producer.send({ topic, messages: [{ key: written.key ?? null, headers, value }] });
      }
      await withTimeout(both.promise, 30_000, 'both SDK CloudEvents');
      const byId = new Map(seen.map((event) => [event.id, event]));
      assert.deepEqual(byId.get('sdk-1')?.data, { n: 1 });
      assert.equal(byId.get('sdk-1')?.cloudEvent?.mode, 'binary');
      assert.deepEqual(byId.get('sdk-2')?.data, { n: 2 });
      assert.equal(byId.get('sdk-2')?.cloudEvent?.mode, 'structured');
      await running.stop();
    } finally {
      await producer.disconnect();
      await messaging.close();
    }
  });
});
