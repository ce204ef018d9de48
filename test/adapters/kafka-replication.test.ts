import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { ConfigResourceTypes, Kafka, logLevel } from 'kafkajs';
import { createKafkaBroker, type KafkaBrokerOptions } from '../../adapters/kafka/index.js';
import { replicaFailure } from '../../adapters/kafka/replica-failure.js';
import { topicSpec } from '../../adapters/kafka/topics.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { NotEnoughReplicasError } from '../../lib/errors/index.js';
import { brokers, requireBroker } from '../support/require-broker.js';

const bootstrap = brokers.kafka.url.split(',');
const auto = { partitions: 3, replicationFactor: undefined, minInSyncReplicas: undefined };

/** Replication factor and min.insync.replicas of `topic`, read with a separate client. */
async function layoutOf(topic: string): Promise<{ replicas: number; minInSync: string | undefined }> {
  const admin = new Kafka({ brokers: bootstrap, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const configs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }], includeSynonyms: false });
    const minInSync = configs.resources[0]?.configEntries.find(({ configName }) => configName === 'min.insync.replicas')?.configValue;
    return { replicas: topics[0]?.partitions[0]?.replicas.length ?? 0, minInSync };
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka topic replication', function () {
  this.timeout(30_000);
  const opened: Broker[] = [];
  const open = (options: Partial<KafkaBrokerOptions> = {}): Broker => {
    const broker = createKafkaBroker({ bootstrapServers: bootstrap, logger: silentLogger, ...options });
    opened.push(broker);
    return broker;
  };

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((broker) => broker.close()));
  });

  it('replicates 3 times with 2 in sync by default, fewer only when the cluster has fewer brokers', () => {
    const layout = (brokerCount: number, options = {}) => {
      const { replicationFactor, configEntries } = topicSpec('t', { ...auto, ...options }, brokerCount);
      return [replicationFactor, configEntries?.[0]?.value];
    };
    assert.deepEqual(layout(1), [1, '1']);
    assert.deepEqual(layout(2), [2, '1']);
    assert.deepEqual(layout(3), [3, '2']);
    assert.deepEqual(layout(6), [3, '2']);
    assert.deepEqual(layout(6, { replicationFactor: 5 }), [5, '2']);
    assert.deepEqual(layout(3, { minInSyncReplicas: 3 }), [3, '3']);
    assert.deepEqual(topicSpec('t', { ...auto, partitions: 6 }, 3).numPartitions, 6);
  });

  it('turns a kafkajs replica shortage, also wrapped, into a NotEnoughReplicasError and leaves other errors alone', () => {
    const protocol = Object.assign(new Error('Messages are rejected since there are fewer in-sync replicas than required'), { type: 'NOT_ENOUGH_REPLICAS', retriable: true });
    const exhausted = Object.assign(new Error('retries exceeded'), { cause: protocol });
    const aggregate = Object.assign(new Error('several'), { errors: [new Error('other'), Object.assign(new Error('after append'), { type: 'NOT_ENOUGH_REPLICAS_AFTER_APPEND' })] });
    for (const [error, type] of [[protocol, 'NOT_ENOUGH_REPLICAS'], [exhausted, 'NOT_ENOUGH_REPLICAS'], [aggregate, 'NOT_ENOUGH_REPLICAS_AFTER_APPEND']] as const) {
      const mapped = replicaFailure(['orders'], error);
      assert.ok(mapped instanceof NotEnoughReplicasError, String(mapped));
      assert.equal(mapped.code, 'EVENTWIRE_NOT_ENOUGH_REPLICAS');
      assert.equal(mapped.cause, error);
      assert.match(mapped.message, new RegExp(`^Kafka refused the publish to "orders" with ${type}: fewer replicas`));
    }
    const other = Object.assign(new Error('too large'), { type: 'MESSAGE_TOO_LARGE' });
    assert.equal(replicaFailure(['orders'], other), other);
  });

  describe('on the test broker', function () {
    before(async function () {
      await requireBroker(this, 'kafka');
    });

    // A refusal for lack of in-sync replicas needs replicas that can be lost: Kafka caps the
    // effective min.insync.replicas at the replication factor, so one broker never refuses.
    // test/clusters/kafka-node-loss.cluster.ts checks it on the cluster (scripts/cluster-check.sh).
    it('creates its topics with the replication the single broker allows, and with the configured min.insync.replicas', async () => {
      const topic = `repl-${randomUUID().slice(0, 8)}`;
      await open().publish(topic, [{ headers: {}, value: Buffer.from('x') }]);
      assert.deepEqual(await layoutOf(topic), { replicas: 1, minInSync: '1' });
      const explicit = `repl-${randomUUID().slice(0, 8)}`;
      await open({ replicationFactor: 1, minInSyncReplicas: 1 }).publish(explicit, [{ headers: {}, value: Buffer.from('x') }]);
      assert.deepEqual(await layoutOf(explicit), { replicas: 1, minInSync: '1' });
      const stricter = `repl-${randomUUID().slice(0, 8)}`;
      await open({ minInSyncReplicas: 2 }).publish(stricter, [{ headers: {}, value: Buffer.from('x') }]);
      assert.deepEqual(await layoutOf(stricter), { replicas: 1, minInSync: '2' });
    });
  });
});
