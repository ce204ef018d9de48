import { strict as assert } from 'node:assert';
import * as ioredis from 'ioredis';
import { newClient, replyCode } from '../../adapters/redis/client.js';
import { CLUSTER_READY_MS } from '../../adapters/redis/connection.js';
import { createRedisBroker } from '../../adapters/redis/index.js';
import { silentLogger } from '../../lib/config/logger.js';
import { BrokerUnreachableError } from '../../lib/errors/index.js';

describe('Redis client factory', () => {
  it('makes a single-server client for one URL and a cluster client for a cluster', () => {
    const single = newClient(ioredis, { url: ['redis://127.0.0.1:1'], cluster: false, clientOptions: { lazyConnect: true }, clusterOptions: {} });
    const cluster = newClient(ioredis, { url: ['redis://127.0.0.1:1', 'redis://127.0.0.1:2'], cluster: true, clientOptions: {}, clusterOptions: { lazyConnect: true } });
    try {
      assert.ok(single instanceof ioredis.Redis && !(single instanceof ioredis.Cluster));
      assert.ok(cluster instanceof ioredis.Cluster);
    } finally {
      single.disconnect();
      cluster.disconnect();
    }
  });

  it('gives the nodes a cluster discovers the seed URL’s credentials and TLS, under clientOptions', () => {
    const client = newClient(ioredis, {
      url: ['rediss://app:p%40ss@127.0.0.1:1'],
      cluster: true,
      clientOptions: { connectTimeout: 2000 },
      clusterOptions: { lazyConnect: true, slotsRefreshTimeout: 500 },
    }) as ioredis.Cluster;
    try {
      const { redisOptions, slotsRefreshTimeout } = client.options;
      assert.equal(slotsRefreshTimeout, 500);
      assert.deepEqual(
        { username: redisOptions?.username, password: redisOptions?.password, tls: redisOptions?.tls, connectTimeout: redisOptions?.connectTimeout, maxRetriesPerRequest: redisOptions?.maxRetriesPerRequest },
        { username: 'app', password: 'p@ss', tls: {}, connectTimeout: 2000, maxRetriesPerRequest: 3 },
      );
    } finally {
      client.disconnect();
    }
  });

  it('reads the code at the start of a Redis error reply, and nothing from other errors', () => {
    const reply = (message: string): Error => Object.assign(new Error(message), { name: 'ReplyError' });
    assert.equal(replyCode(reply('MOVED 3999 127.0.0.1:6381')), 'MOVED');
    assert.equal(replyCode(reply('BUSYGROUP Consumer Group name already exists')), 'BUSYGROUP');
    assert.equal(replyCode(new Error('MOVED 3999 127.0.0.1:6381')), undefined);
    assert.equal(replyCode(reply('no code here')), undefined);
  });

  it('fails a publish to a cluster none of whose nodes answers with a BrokerUnreachableError, instead of queueing it', async function () {
    this.timeout(CLUSTER_READY_MS + 10_000);
    // Nothing listens on ports 1 and 2.
    const broker = createRedisBroker({ url: ['redis://127.0.0.1:1', 'redis://127.0.0.1:2'], logger: silentLogger });
    try {
      const started = Date.now();
      const error: unknown = await broker.publish('orders', [{ headers: {}, value: Buffer.from('x') }]).then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof BrokerUnreachableError, String(error));
      assert.match(error.message, /^Redis at redis:\/\/127\.0\.0\.1:1 is unreachable: no node of the cluster gave its slot map within \d+ ms \(127\.0\.0\.1:[12]: /);
      assert.ok(Date.now() - started < CLUSTER_READY_MS + 3000, `rejected after ${Date.now() - started} ms`);
    } finally {
      await broker.close();
    }
  });
});
