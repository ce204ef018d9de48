import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createMessaging, silentLogger, type Consumer, type Messaging, type TopicLag } from '../../entry/index.js';
import { traceTargets, type TraceTarget } from '../telemetry/trace-targets.js';
import { consumerQueues } from '../support/leftover-queues.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { collector, deferred, withTimeout } from '../support/wait.js';

// messaging.lag() on every broker, against the real server: a group that stopped consuming lags
// by exactly what was published since, and catches up to 0 once it runs again.

const published = 5;

/** The group's total lag over the topic's partitions; undefined while the broker reports none. */
const total = (lags: readonly TopicLag[], topic: string): number | undefined => {
  const mine = lags.filter((lag) => lag.topic === topic);
  return mine.length === 0 ? undefined : mine.reduce((sum, lag) => sum + lag.messages, 0);
};

/**
 * Asks messaging.lag() until the topic's total is `expected`, failing after `ms` with the last
 * answer. Polled: lag is a reading of the broker, which tells of no change (Kafka commits offsets
 * in the background).
 */
async function lagReaches(messaging: Messaging, topic: string, expected: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  let last = total(await messaging.lag(), topic);
  while (last !== expected) {
    if (Date.now() > deadline) assert.fail(`the lag on ${topic} did not reach ${expected} within ${ms} ms (last reading: ${String(last)})`);
    await sleep(50);
    last = total(await messaging.lag(), topic);
  }
}

/** Deletes what a test created on a real broker besides RabbitMQ's queues. */
async function cleanUp(target: TraceTarget, topic: string, groupId: string): Promise<void> {
  if (target.name === 'redis') {
    const redis = new Redis(brokers.redis.url);
    await redis.del(topic, `${topic}-busy`).finally(() => redis.disconnect());
  }
  if (target.name === 'kafka') {
    const { Kafka, logLevel } = (await import('kafkajs')).default;
    const admin = new Kafka({ brokers: [brokers.kafka.url], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect();
  }
}

for (const target of traceTargets) {
  describe(`consumer lag on ${target.name}`, function () {
    this.timeout(target.hopMs * 4);
    const topic = `lag-${randomBytes(4).toString('hex')}`;
    const groupId = `lag-group-${topic}`;
    const queues = consumerQueues();
    let messaging: Messaging | undefined;

    before(async function () {
      if (target.name !== 'memory') await requireBroker(this, target.name);
    });
    after(async () => {
      await messaging?.close({ timeoutMs: 2_000 });
      if (target.name === 'rabbitmq') await queues.delete();
      await cleanUp(target, topic, groupId);
    });

    it('counts what a stopped group has not handled, and falls to 0 once it caught up', async () => {
      messaging = createMessaging({ ...target.options(), source: 'lag', logger: silentLogger });
      queues.add(groupId, [topic]);
      let seen = collector<number>(1);
      const consumer: Consumer = messaging.createConsumer({ groupId, topics: [topic], handlers: { 'job.run': async (event) => seen.push(event.data as number) } });
      await consumer.start();
      // One event handled first: the group is positioned and has committed (Kafka) before it stops.
      await messaging.publishEvent('job.run', 0, { topic });
      await withTimeout(seen.done, target.hopMs, 'the first event to be handled');
      await lagReaches(messaging, topic, 0, target.hopMs);
      await consumer.stop();

      for (let i = 1; i <= published; i += 1) await messaging.publishEvent('job.run', i, { topic });
      await lagReaches(messaging, topic, published, target.hopMs);

      seen = collector<number>(published);
      await consumer.start();
      await withTimeout(seen.done, target.hopMs, `the ${published} waiting events to be handled`);
      await lagReaches(messaging, topic, 0, target.hopMs);
    });

    // Only where the broker tells how many were delivered and not acknowledged.
    if (target.name === 'memory' || target.name === 'redis') {
      it('reports what a busy member holds as pending, apart from what waits', async () => {
        messaging ??= createMessaging({ ...target.options(), source: 'lag', logger: silentLogger });
        const busy = `${topic}-busy`;
        const release = deferred<true>();
        const started = collector<number>(1);
        const done = collector<number>(3);
        const handler = async (event: { readonly data: unknown }): Promise<void> => {
          started.push(0);
          await release.promise;
          done.push(event.data as number);
        };
        const consumer = messaging.createConsumer({ groupId: `${groupId}-busy`, topics: [busy], concurrency: 1, handlers: { 'job.run': handler } });
        await consumer.start();
        for (const n of [1, 2, 3]) await messaging.publishEvent('job.run', n, { topic: busy });
        try {
          await withTimeout(started.done, target.hopMs, 'the first event to reach the handler');
          const lags = (await messaging.lag()).filter((lag) => lag.topic === busy);
          assert.deepEqual(lags, [{ topic: busy, groupId: `${groupId}-busy`, messages: 2, pending: 1 }]);
        } finally {
          release.resolve(true);
        }
        await withTimeout(done.done, target.hopMs, 'the three events to be handled');
        await lagReaches(messaging, busy, 0, target.hopMs);
        await consumer.stop();
      });
    }
  });
}
