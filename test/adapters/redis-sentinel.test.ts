import { strict as assert } from 'node:assert';
import * as ioredis from 'ioredis';
import { newClient } from '../../adapters/redis/client.js';
import { CLUSTER_READY_MS } from '../../adapters/redis/connection.js';
import { createRedisBroker } from '../../adapters/redis/index.js';
import { validateRedisOptions, type RedisBrokerOptions } from '../../adapters/redis/options.js';
import { silentLogger } from '../../lib/config/logger.js';
import { resolveOptions } from '../../lib/config/options.js';
import { BrokerUnreachableError, RedisSentinelNameRequiredError } from '../../lib/errors/index.js';
import { startLoneSentinel } from '../support/lone-sentinel.js';
import { invalidOption } from '../support/invalid-option.js';

// No Sentinel set is needed: these tests check the options, the client made from them (with
// lazyConnect, so that nothing connects), what a publish does when no Sentinel answers, and what
// a single-server configuration does when it reaches a lone Sentinel (Debian's redis-server
// started with --sentinel). The Sentinel set itself is exercised by scripts/cluster-check.sh sentinel.
const sentinels = ['redis://127.0.0.1:26379', 'redis://127.0.0.1:26380'];

describe('Redis Sentinel', () => {
  it('takes a list of Sentinels with `sentinel` as one primary, not a Redis Cluster', () => {
    const settings = validateRedisOptions({ url: sentinels, sentinel: 'orders-primary', logger: silentLogger });
    assert.deepEqual([settings.cluster, settings.sentinel, settings.url], [false, 'orders-primary', sentinels]);
    assert.equal(validateRedisOptions({ url: sentinels, sentinel: 'x', cluster: false }).cluster, false);
    assert.equal(validateRedisOptions({ url: sentinels[0] as string }).sentinel, undefined);
  });

  it('refuses Sentinel settings that contradict each other, naming the option to fix', () => {
    const cases: [options: Record<string, unknown>, argument: string, message: string][] = [
      [{ sentinel: '' }, 'sentinel', 'Expected `sentinel` to be a non-empty string, got "".'],
      [{ sentinel: 42 }, 'sentinel', 'Expected `sentinel` to be a non-empty string, got 42.'],
      [{ sentinel: 'm', cluster: true }, 'sentinel', '`sentinel` names a primary that Sentinels manage, and a Redis Cluster has none: remove `cluster: true` for Sentinel, or `sentinel` for a Redis Cluster.'],
      [{ sentinel: 'm', clusterOptions: {} }, 'clusterOptions', '`clusterOptions` only applies to a Redis Cluster: list its nodes in `url` or set `cluster: true`, or remove `clusterOptions`.'],
      [{ sentinel: 'm', clientOptions: { sentinels: [{ host: 'a', port: 1 }] } }, 'clientOptions', "Give the Sentinels' addresses in `url` and the primary's name in `sentinel`, not `clientOptions.sentinels`."],
      [{ clientOptions: { name: 'm' } }, 'clientOptions', "Give the Sentinels' addresses in `url` and the primary's name in `sentinel`, not `clientOptions.name`."],
    ];
    for (const [options, argument, message] of cases) {
      assert.throws(() => validateRedisOptions({ url: sentinels, ...options } as unknown as RedisBrokerOptions), invalidOption(argument, message));
    }
  });

  it('makes a client that asks the Sentinels for the primary, with the URL’s credentials for both and the default port 26379', () => {
    const client = newClient(ioredis, {
      url: ['redis://app:p%40ss@sentinel-a/2', 'redis://sentinel-b:26380'],
      cluster: false,
      sentinel: 'orders-primary',
      clientOptions: { lazyConnect: true, sentinelPassword: 'other' },
      clusterOptions: {},
    }) as ioredis.Redis;
    try {
      assert.ok(!(client instanceof ioredis.Cluster));
      const { sentinels: seen, name, role, username, password, sentinelUsername, sentinelPassword, db, failoverDetector, maxRetriesPerRequest } = client.options;
      assert.deepEqual(
        { seen, name, role, username, password, sentinelUsername, sentinelPassword, db, failoverDetector, maxRetriesPerRequest },
        {
          seen: [{ host: 'sentinel-a', port: 26379 }, { host: 'sentinel-b', port: 26380 }],
          name: 'orders-primary',
          role: 'master',
          username: 'app',
          password: 'p@ss',
          sentinelUsername: 'app',
          sentinelPassword: 'other',
          db: 2,
          failoverDetector: true,
          maxRetriesPerRequest: 3,
        },
      );
    } finally {
      client.disconnect();
    }
  });

  it('takes the primary’s name from REDIS_SENTINEL_NAME under configureMessaging, unless the code gives one', () => {
    const env = { REDIS_URL: sentinels.join(','), REDIS_SENTINEL_NAME: ' from-env ' };
    const resolved = resolveOptions({ broker: 'redis' }, env);
    assert.deepEqual([resolved.url, resolved.brokerOptions.sentinel], [sentinels, 'from-env']);
    assert.equal(resolveOptions({ broker: 'redis', brokerOptions: { sentinel: 'from-code' } }, env).brokerOptions.sentinel, 'from-code');
    assert.equal(resolveOptions({ broker: 'rabbitmq' }, { REDIS_SENTINEL_NAME: 'x' }).brokerOptions.sentinel, undefined);
    assert.equal(resolveOptions({ broker: 'redis' }, { REDIS_SENTINEL_NAME: '  ' }).brokerOptions.sentinel, undefined);
  });

  it('fails a publish through Sentinels none of which answers with a BrokerUnreachableError, instead of queueing it', async function () {
    this.timeout(CLUSTER_READY_MS + 10_000);
    // Nothing listens on ports 1 and 2.
    const broker = createRedisBroker({ url: ['redis://127.0.0.1:1', 'redis://127.0.0.1:2'], sentinel: 'orders-primary', logger: silentLogger });
    try {
      const started = Date.now();
      const error: unknown = await broker.publish('orders', [{ headers: {}, value: Buffer.from('x') }]).then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof BrokerUnreachableError, String(error));
      assert.match(error.message, /^Redis at redis:\/\/127\.0\.0\.1:1 is unreachable: no Sentinel led to a primary named "orders-primary" within \d+ ms \(All sentinels are unreachable/);
      assert.ok(Date.now() - started < CLUSTER_READY_MS + 3000, `rejected after ${Date.now() - started} ms`);
    } finally {
      await broker.close();
    }
  });

  it('names the missing primary name when a single-server URL reaches a Sentinel: publish and subscribe reject with RedisSentinelNameRequiredError', async () => {
    const sentinel = await startLoneSentinel();
    const url = `redis://127.0.0.1:${sentinel.port}`;
    const broker = createRedisBroker({ url, logger: silentLogger });
    try {
      const error: unknown = await broker.publish('orders', [{ headers: {}, value: Buffer.from('x') }]).then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof RedisSentinelNameRequiredError, String(error));
      assert.equal(error.code, 'EVENTWIRE_REDIS_SENTINEL_NAME_REQUIRED');
      assert.equal(error.message.startsWith(`Redis at ${url} is a Redis Sentinel: set \`sentinel\` (or REDIS_SENTINEL_NAME)`), true, error.message);
      const subscribing = broker.subscribe({ groupId: 'g', topics: ['orders'], concurrency: 1, signal: new AbortController().signal } as never, async () => {});
      await assert.rejects(subscribing, (caught: unknown) => caught instanceof RedisSentinelNameRequiredError);
    } finally {
      await broker.close();
      await sentinel.stop();
    }
  });
});
