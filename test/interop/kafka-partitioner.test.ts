import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createKafkaBroker } from '../../adapters/kafka/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { collector, withTimeout } from '../support/wait.js';
import { producePython, requireClients } from './third-party.js';

const bootstrap = brokers.kafka.url;
const KEYS = Array.from({ length: 24 }, (_, index) => `order-${index}`);

// docs/wire-format.md, "Keys and partitions": eventwire (kafkajs) partitions keys with Java's
// murmur2; librdkafka producers put a key on the same partition only with partitioner=murmur2_random.
describe('interop: Kafka key partitioning, eventwire vs librdkafka (confluent-kafka)', function () {
  this.timeout(90_000);
  let broker: Broker;
  const stop = new AbortController();

  before(async function () {
    await requireBroker(this, 'kafka');
    await requireClients(this, ['confluent-kafka']);
    broker = createKafkaBroker({ bootstrapServers: bootstrap, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, logger: silentLogger });
  });

  after(async () => {
    stop.abort();
    await broker?.close();
  });

  it('puts each key on the partition librdkafka picks with murmur2_random, not with its default', async () => {
    const topic = `ew-interop-keys-${randomBytes(4).toString('hex')}`;
    const seen = collector<{ key: string | undefined; partition: string | undefined }>(KEYS.length);
    await broker.subscribe({ groupId: 'interop-keys', topics: [topic], concurrency: 1, signal: stop.signal }, async (message) => {
      seen.push({ key: message.key, partition: message.id.split(':')[0] });
    });
    await broker.publish(topic, KEYS.map((key) => ({ key, headers: {}, value: Buffer.from('{}') })));
    const eventwire = new Map((await withTimeout(seen.done, 30_000, 'the keyed records eventwire published')).map(({ key, partition }) => [key, Number(partition)]));
    const partitions = new Set(eventwire.values());
    assert.ok(partitions.size > 1, 'the keys spread over more than one partition, so the comparison means something');

    const messages = KEYS.map((key) => ({ key: Buffer.from(key), value: Buffer.from('{}') }));
    const murmur = await producePython<{ partition: number }>('produce_kafka.py', { url: bootstrap, topic, options: { partitioner: 'murmur2_random' }, messages });
    assert.deepEqual(murmur.map((result) => result.partition), KEYS.map((key) => eventwire.get(key)), 'murmur2_random agrees with eventwire on every key');

    const byDefault = await producePython<{ partition: number }>('produce_kafka.py', { url: bootstrap, topic, messages });
    const differing = KEYS.filter((key, index) => byDefault[index]?.partition !== eventwire.get(key));
    assert.ok(differing.length > 0, "librdkafka's default partitioner (consistent_random, CRC32) puts some key elsewhere");
  });
});
