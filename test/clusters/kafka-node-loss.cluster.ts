import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { createKafkaBroker, type KafkaBrokerOptions } from '../../adapters/kafka/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { NotEnoughReplicasError } from '../../lib/errors/index.js';
import { deferred, withTimeout } from '../support/wait.js';
import { duplicates, killNode, ledger, lost, publishThroughLoss, receive } from './node-loss.js';

// Run by scripts/cluster-check.sh on the local Kafka cluster (27041-27043), which restarts the
// killed nodes afterwards; not part of npm test. The tests run in order: the first kills one
// node, the second relies on it being down, the third kills a second one.
const bootstrapServers = [27041, 27042, 27043].map((port) => `127.0.0.1:${port}`);
const TOTAL = Number(process.env.NODE_LOSS_MESSAGES ?? 10_000);
const fast: Partial<KafkaBrokerOptions> = { sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000, redeliveryDelayMs: 200, logger: silentLogger };
const pidFile = (node: number): string => `.cache/clusters/kafka-${node}/kafka.pid`;
const marker = (node: number): string => `clusters/kafka-${node}/server.properties`;

/** The node id (1-3) that leads partition 0 of `topic`, and the topic's replication and in-sync replicas. */
async function leaderOf(topic: string): Promise<{ leader: number; replicas: number; isr: number }> {
  const admin = new Kafka({ brokers: bootstrapServers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const partition = topics[0]?.partitions.find(({ partitionId }) => partitionId === 0);
    return { leader: partition?.leader ?? -1, replicas: partition?.replicas.length ?? 0, isr: partition?.isr.length ?? 0 };
  } finally {
    await admin.disconnect();
  }
}

describe('Kafka cluster: nodes lost under load', function () {
  this.timeout(240_000);
  const id = randomBytes(4).toString('hex');
  const opened: Broker[] = [];
  const controller = new AbortController();
  const killed: number[] = [];
  /** A topic that asks for all 3 replicas in sync, created while every node runs. */
  const strict = { topic: `strict-${id}`, broker: undefined as Broker | undefined };
  const open = (options: Partial<KafkaBrokerOptions> = {}): Broker => {
    const created = createKafkaBroker({ bootstrapServers, ...fast, ...options });
    opened.push(created);
    return created;
  };

  after(async () => {
    controller.abort();
    await Promise.all(opened.map((broker) => broker.close()));
  });

  it('loses no acknowledged message when the leader of a partition is killed (RF 3, min ISR 2 by default)', async () => {
    const topic = `loss-${id}`;
    const book = ledger();
    const all = deferred();
    await open().subscribe({ groupId: `loss-${id}`, topics: [topic], concurrency: 20, signal: controller.signal }, async (message) => {
      receive(book, message.value.toString());
      if (book.received.size === TOTAL) all.resolve();
    });
    strict.broker = open({ minInSyncReplicas: 3, clientOptions: { retry: { retries: 2, initialRetryTime: 100 } } });
    await strict.broker.publish(strict.topic, [{ headers: {}, value: Buffer.from('all in sync') }]);
    const before = await leaderOf(topic);
    assert.deepEqual([before.replicas, before.isr], [3, 3], 'created with 3 replicas, all in sync');
    const started = Date.now();
    const kill = (): void => {
      killNode(pidFile(before.leader), marker(before.leader));
      killed.push(before.leader);
    };
    await publishThroughLoss(open(), topic, { total: TOTAL, publishers: 20, killAfter: TOTAL / 4, retryMs: 100, kill }, book);
    await withTimeout(all.promise, 120_000, 'every acknowledged message').catch(() => undefined);
    const missing = lost(book);
    console.log(`      kafka: ${TOTAL} acknowledged in ${Date.now() - started} ms, ${missing.length} lost, ${duplicates(book)} duplicates, ${book.rejected} rejected attempts, first acknowledged publish ${book.recoveryMs} ms after killing node ${before.leader} (leader of partition 0)`);
    assert.deepEqual(missing.slice(0, 10), [], `${missing.length} acknowledged messages lost`);
  });

  it('rejects publishes with NotEnoughReplicasError while fewer replicas are in sync than min.insync.replicas', async function () {
    const broker = strict.broker;
    if (killed.length !== 1 || broker === undefined) this.skip();
    // One node is down: the topic that asks for all 3 replicas in sync cannot be written.
    const started = Date.now();
    await assert.rejects(broker.publish(strict.topic, [{ headers: {}, value: Buffer.from('x') }]), (error: unknown) => {
      assert.ok(error instanceof NotEnoughReplicasError, String(error));
      return true;
    });
    console.log(`      kafka: with node ${killed[0]} down, a topic with min.insync.replicas 3 refused the publish after ${Date.now() - started} ms with NotEnoughReplicasError`);
  });

  it('rejects publishes, acknowledging nothing, when a second node is killed', async function () {
    if (killed.length !== 1) this.skip();
    const topic = `loss-${id}`;
    const second = [1, 2, 3].find((node) => !killed.includes(node)) as number;
    killNode(pidFile(second), marker(second));
    killed.push(second);
    // Two of the three combined broker/controller nodes are down: the controller quorum is lost
    // too, so the partitions' leadership and in-sync sets stay as they were at the kill.
    const broker = open({ clientOptions: { retry: { retries: 2, initialRetryTime: 100 }, requestTimeout: 5000 } });
    const started = Date.now();
    const outcome = await broker.publish(topic, [{ headers: {}, value: Buffer.from('after two kills') }]).then(
      () => 'acknowledged',
      (error: unknown) => `rejected with ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 160)}` : String(error)}`,
    );
    console.log(`      kafka: with nodes ${killed.join(' and ')} down, a publish to the RF 3 / min ISR 2 topic was ${outcome} after ${Date.now() - started} ms`);
    assert.match(outcome, /^rejected/);
  });
});
