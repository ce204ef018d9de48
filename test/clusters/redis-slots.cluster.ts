import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import { createRedisBroker } from '../../adapters/redis/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { RedisClusterRequiredError } from '../../lib/errors/index.js';
import { createMessaging } from '../../entry/index.js';
import { collector, withTimeout } from '../support/wait.js';
import { deleteKeys } from '../support/redis-nodes.js';
import { namesOnDistinctPrimaries, redisClusterNodes } from './redis-cluster.js';

// Run by scripts/cluster-check.sh on the local Redis Cluster (27001-27006); not part of npm test.
// What the conformance suite does not show: streams on different primaries in one operation.

describe('Redis Cluster: streams of several slots', function () {
  this.timeout(60_000);
  const id = randomBytes(4).toString('hex');
  const opened: Broker[] = [];
  const controller = new AbortController();
  let admin: Cluster;

  before(async () => {
    admin = new Cluster(redisClusterNodes);
    await admin.cluster('INFO');
  });

  after(async () => {
    controller.abort();
    await Promise.all(opened.map((broker) => broker.close()));
    await deleteKeys(admin, `slots-${id}*`);
  });

  it('subscribes one member to streams on three primaries, and reports the lag of each', async () => {
    const streams = await namesOnDistinctPrimaries(admin, `slots-${id}`, 3);
    const topics = streams.map(({ name }) => name);
    const broker = createRedisBroker({ url: redisClusterNodes, logger: silentLogger });
    opened.push(broker);
    const got = collector<string>(topics.length * 2);
    await broker.subscribe({ groupId: `g-${id}`, topics, concurrency: 4, signal: controller.signal }, async (message) => {
      got.push(`${message.topic}:${message.value.toString()}`);
    });
    // A batch of two goes through the append script, once per stream.
    for (const topic of topics) await broker.publish(topic, [{ headers: {}, value: Buffer.from('a') }, { headers: {}, value: Buffer.from('b') }]);
    const received = await withTimeout(got.done, 10_000, 'two messages from each of the three streams');
    assert.deepEqual(received.sort(), topics.flatMap((topic) => [`${topic}:a`, `${topic}:b`]).sort());
    const lags = await broker.lag?.(`g-${id}`, topics);
    assert.deepEqual(lags?.map(({ topic, messages }) => [topic, messages]).sort(), topics.map((topic) => [topic, 0]).sort());
  });

  it('takes the cluster from REDIS_URL listing its nodes, through configureMessaging', async () => {
    const [stream] = await namesOnDistinctPrimaries(admin, `slots-${id}-env`, 1);
    const topic = (stream as { name: string }).name;
    const previous = process.env.REDIS_URL;
    process.env.REDIS_URL = redisClusterNodes.join(',');
    const messaging = createMessaging({ broker: 'redis', logger: silentLogger });
    if (previous === undefined) delete process.env.REDIS_URL;
    else process.env.REDIS_URL = previous;
    try {
      const got = collector<string>(1);
      await messaging.createConsumer({ groupId: `env-${id}`, topics: [topic], handlers: { 'order.placed': async (event) => got.push(event.name) } }).start();
      await messaging.publishEvent('order.placed', { id: 1 }, { topic });
      assert.deepEqual(await withTimeout(got.done, 10_000, 'the event'), ['order.placed']);
    } finally {
      await messaging.close();
    }
  });

  it('rejects with a RedisClusterRequiredError when a single-server client meets a cluster node', async () => {
    // A stream whose slot node 1 (27001) does not serve: it answers MOVED.
    const streams = await namesOnDistinctPrimaries(admin, `slots-${id}-moved`, 3);
    const elsewhere = streams.find(({ node }) => node !== '127.0.0.1:27001') as { name: string };
    const broker = createRedisBroker({ url: 'redis://127.0.0.1:27001', logger: silentLogger });
    opened.push(broker);
    const error: unknown = await broker.publish(elsewhere.name, [{ headers: {}, value: Buffer.from('x') }]).then(() => undefined, (caught: unknown) => caught);
    assert.ok(error instanceof RedisClusterRequiredError, String(error));
    assert.equal(error.code, 'EVENTWIRE_REDIS_CLUSTER_REQUIRED');
    assert.match(error.message, /^Redis at redis:\/\/127\.0\.0\.1:27001 is a node of a Redis Cluster: list the cluster's nodes in `url`/);
  });
});
