import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { createMessaging, silentLogger, type Messaging } from '../../entry/index.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { collector, withTimeout } from '../support/wait.js';

// The README's promise: a dead letter is the message unchanged (same bytes, key and headers),
// with the eventwire-* reason headers added. Checked here with what only a raw Kafka client can
// write: a binary key, binary and repeated header values, a tombstone (null value).
describe('Kafka dead letters are byte-exact', function () {
  this.timeout(60_000);
  const client = new Kafka({ brokers: brokers.kafka.url.split(','), logLevel: logLevel.NOTHING });
  let messaging: Messaging | undefined;

  before(async function () {
    await requireBroker(this, 'kafka');
  });
  after(async () => {
    await messaging?.close();
  });

  it('keeps key and header bytes, repeated headers and a null value, and adds the reason headers', async () => {
    const topic = `ew-dlq-bytes-${randomBytes(4).toString('hex')}`;
    messaging = createMessaging({
      broker: 'kafka',
      bootstrapServers: brokers.kafka.url,
      logger: silentLogger,
      brokerOptions: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 },
    });
    messaging.createConsumer({ groupId: `g-${topic}`, topics: [topic], handlers: {} });
    const running = await messaging.runConsumers();

    const dead = collector<KafkaMessage>(2);
    // The reader subscribes before the first dead letter creates the topic.
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: `${topic}.dlq`, numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    const reader = client.consumer({ groupId: `reader-${topic}` });
    await reader.connect();
    await reader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => dead.push(message) });

    const binaryKey = Buffer.from([0xff, 0x01]);
    const binaryHeader = Buffer.from([0xff, 0x00, 0x7f]);
    const producer = client.producer();
    await producer.connect();
    try {
      await producer.send({
        topic,
        messages: [
          { key: binaryKey, value: Buffer.from([0x6e, 0x6f, 0xff]), headers: { bin: binaryHeader, rep: ['a', 'b'], text: 'plain' } },
          { key: 'tomb', value: null },
        ],
      });
      const both = await withTimeout(dead.done, 45_000, 'both records in the dead-letter topic');
      // The two keys may land on different partitions: which dead letter comes first is not fixed.
      const second = both.find((message) => String(message.key) === 'tomb');
      const first = both.find((message) => message !== second);

      assert.deepEqual(first!.key, binaryKey, 'the binary key keeps its bytes');
      assert.deepEqual(first!.value, Buffer.from([0x6e, 0x6f, 0xff]));
      assert.deepEqual(first!.headers?.bin, binaryHeader, 'a binary header keeps its bytes');
      assert.deepEqual((first!.headers?.rep as Buffer[] | undefined)?.map(String), ['a', 'b'], 'a repeated header keeps every value, in order');
      assert.equal(String(first!.headers?.text), 'plain');
      assert.equal(String(first!.headers?.['eventwire-reason']), 'malformed');
      assert.equal(String(first!.headers?.['eventwire-original-topic']), topic);

      assert.equal(second!.value, null, 'a tombstone stays a tombstone');
      assert.equal(String(second!.key), 'tomb');
      assert.equal(String(second!.headers?.['eventwire-reason']), 'malformed');
    } finally {
      await producer.disconnect();
      await reader.disconnect();
      await running.stop();
    }
  });
});
