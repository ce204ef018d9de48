import { strict as assert } from 'node:assert';
import {
  configureMessaging,
  createMessaging,
  getMessaging,
  getProducer,
  InvalidArgumentError,
  MessagingAlreadyConfiguredError,
  MessagingNotConfiguredError,
  MissingDependencyError,
  publishEvent,
  resetMessaging,
} from '../../entry/index.js';
import { expectPeer } from '../../lib/config/load-peer.js';
import { resolveOptions } from '../../lib/config/options.js';
import { redactSecrets, redactUrl } from '../../lib/config/redact.js';

function invalid(argument: string, pattern?: RegExp) {
  return (error: unknown) =>
    error instanceof InvalidArgumentError && error.code === 'EVENTWIRE_INVALID_ARGUMENT' && error.argument === argument && (pattern?.test(error.message) ?? true);
}

describe('configuration', () => {
  afterEach(() => resetMessaging());

  it('lets code win over the environment', () => {
    const env = { MESSAGING_BROKER: 'redis', REDIS_URL: 'redis://env-host:6379', MESSAGING_SOURCE: 'env-service' };
    const fromEnv = resolveOptions({}, env);
    assert.equal(fromEnv.broker, 'redis');
    assert.equal(fromEnv.url, 'redis://env-host:6379');
    assert.equal(fromEnv.source, 'env-service');
    const fromCode = resolveOptions({ broker: 'redis', url: 'redis://code-host:6379', source: 'code-service' }, env);
    assert.equal(fromCode.url, 'redis://code-host:6379');
    assert.equal(fromCode.source, 'code-service');
  });

  it('reads each broker’s address variable', () => {
    assert.equal(resolveOptions({ broker: 'kafka' }, { KAFKA_BOOTSTRAP_SERVERS: 'k1:9092, k2:9092' }).url, 'k1:9092,k2:9092');
    assert.equal(resolveOptions({ broker: 'rabbitmq' }, { RABBITMQ_URL: 'amqp://guest:guest@mq:5672/' }).url, 'amqp://guest:guest@mq:5672/');
    assert.equal(resolveOptions({ broker: 'kafka', bootstrapServers: ['a:1', 'b:2'] }, {}).url, 'a:1,b:2');
    assert.equal(resolveOptions({ broker: 'memory' }, { npm_package_name: 'pkg' }).source, 'pkg');
  });

  it('validates options up front with errors that name the option', () => {
    assert.throws(() => resolveOptions({}, {}), invalid('broker', /MESSAGING_BROKER is not set/));
    assert.throws(() => resolveOptions({ broker: 'nats' as never }, {}), invalid('broker', /one of kafka, rabbitmq, redis, memory/));
    assert.throws(() => resolveOptions({ broker: 'redis', url: 'http://x' }, {}), invalid('url', /redis: or rediss:/));
    assert.throws(() => resolveOptions({ broker: 'redis', url: 'not a url' }, {}), invalid('url'));
    assert.throws(() => resolveOptions({ broker: 'kafka', bootstrapServers: 'localhost' }, {}), invalid('bootstrapServers', /host:port/));
    assert.throws(() => resolveOptions({ broker: 'kafka', url: 'x' }, {}), invalid('url', /bootstrapServers/));
    assert.throws(() => resolveOptions({ broker: 'redis', bootstrapServers: 'a:1' }, {}), invalid('bootstrapServers'));
    assert.throws(() => resolveOptions({ broker: 'memory', publishTimeoutMs: -1 }, {}), invalid('publishTimeoutMs', /Expected `publishTimeoutMs` to be an integer of at least 1, got -1\./));
    assert.throws(() => resolveOptions({ broker: 'memory', defaultTopic: 'a topic' }, {}), invalid('defaultTopic'));
    assert.throws(() => resolveOptions({ broker: 'memory', logger: { info() {} } as never }, {}), invalid('logger.debug'));
    assert.throws(() => resolveOptions({ broker: 'memory', maxRetries: 1 } as never, {}), invalid('maxRetries', /Unknown option/));
  });

  it('refuses every delay and time-out longer than a Node.js timer keeps (it would fire after 1 ms)', async () => {
    const tooLong = 2 ** 31;
    const longest = (name: string) => invalid(name, new RegExp(`\`${name}\` to be at most 2147483647 ms`));
    assert.throws(() => resolveOptions({ broker: 'memory', publishTimeoutMs: tooLong }, {}), longest('publishTimeoutMs'));
    assert.throws(() => createMessaging({ broker: 'memory', brokerOptions: { redeliveryDelayMs: tooLong } }), longest('redeliveryDelayMs'));
    assert.throws(() => createMessaging({ broker: 'redis', url: 'redis://127.0.0.1:1', brokerOptions: { blockMs: tooLong } }), longest('blockMs'));
    assert.throws(() => createMessaging({ broker: 'rabbitmq', url: 'amqp://127.0.0.1:1', brokerOptions: { reconnectDelayMs: tooLong } }), longest('reconnectDelayMs'));
    assert.throws(() => createMessaging({ broker: 'kafka', bootstrapServers: '127.0.0.1:1', brokerOptions: { sessionTimeoutMs: tooLong } }), longest('sessionTimeoutMs'));
    const messaging = createMessaging({ broker: 'memory' });
    await assert.rejects(messaging.close({ timeoutMs: tooLong }), longest('timeoutMs'));
    await messaging.close();
  });

  it('never puts a password into an error message', () => {
    assert.throws(
      () => resolveOptions({ broker: 'rabbitmq', url: 'http://admin:hunter2@mq:5672' }, {}),
      (error: unknown) => error instanceof InvalidArgumentError && !error.message.includes('hunter2') && error.message.includes('admin:***@'),
    );
    assert.equal(redactUrl('redis://:s3cret@cache:6379/0'), 'redis://:***@cache:6379/0');
    assert.equal(redactUrl('amqps://mq/?password=s3cret'), 'amqps://mq/?password=***');
    assert.equal(redactSecrets('connect failed amqp://u:p4ss@mq:5672 and redis://:x@r'), 'connect failed amqp://u:***@mq:5672 and redis://:***@r');
  });

  it('masks only the password of an address that is not a URL, so that the typo stays visible', () => {
    assert.throws(
      () => resolveOptions({ broker: 'redis', url: 'redis//app:hunter2@cache:6379' }, {}),
      invalid('url', /got "redis\/\/app:\*\*\*@cache:6379"\.$/),
    );
    assert.equal(redactUrl('amqp://gu est:hunter2@mq:5672'), 'amqp://gu%20est:***@mq:5672');
    assert.equal(redactUrl('app:hunter2@mq:5672'), 'app:***@mq:5672');
    assert.equal(redactUrl('k1:9092,k2:9092'), 'k1:9092,k2:9092');
  });

  it('takes a list of RabbitMQ nodes from code or from RABBITMQ_URL, split only where a URL starts', () => {
    const nodes = ['amqp://guest:guest@mq1:5672', 'amqp://guest:guest@mq2:5672'];
    assert.deepEqual(resolveOptions({ broker: 'rabbitmq', url: nodes }, {}).url, nodes);
    assert.deepEqual(resolveOptions({ broker: 'rabbitmq' }, { RABBITMQ_URL: `${nodes[0]}, ${nodes[1]}` }).url, nodes);
    assert.equal(resolveOptions({ broker: 'rabbitmq' }, { RABBITMQ_URL: 'amqp://app:pa,ss@mq:5672' }).url, 'amqp://app:pa,ss@mq:5672', 'a comma in the password does not split');
    assert.equal(resolveOptions({ broker: 'rabbitmq', url: [nodes[0]!] }, {}).url, nodes[0], 'a list of one is that URL');
    assert.throws(() => resolveOptions({ broker: 'rabbitmq', url: [] }, {}), invalid('url', /non-empty list/));
    assert.throws(
      () => resolveOptions({ broker: 'rabbitmq' }, { RABBITMQ_URL: `${nodes[0]},amqps://app:hunter2@` }),
      (error: unknown) => invalid('url', /^Expected `url` \(from RABBITMQ_URL\) entries to be/)(error) && !(error as Error).message.includes('hunter2'),
    );
  });

  it('takes a list of Redis Cluster nodes from code or from REDIS_URL, split only where a URL starts', () => {
    const nodes = ['redis://:pw@cache1:7000', 'rediss://cache2:7001'];
    assert.deepEqual(resolveOptions({ broker: 'redis', url: nodes }, {}).url, nodes);
    assert.deepEqual(resolveOptions({ broker: 'redis' }, { REDIS_URL: `${nodes[0]}, ${nodes[1]}` }).url, nodes);
    assert.equal(resolveOptions({ broker: 'redis' }, { REDIS_URL: 'redis://:pa,ss@cache:6379' }).url, 'redis://:pa,ss@cache:6379', 'a comma in the password does not split');
    assert.equal(resolveOptions({ broker: 'redis', url: ['redis://a:6379'] }, {}).url, 'redis://a:6379', 'a list of one is that URL');
    assert.throws(() => resolveOptions({ broker: 'redis', url: [] }, {}), invalid('url', /^Expected `url` to be a redis: or rediss: URL or a non-empty list of them, got \[\]\.$/));
    assert.throws(() => resolveOptions({ broker: 'redis' }, { REDIS_URL: 'redis://a:7000,amqp://b:7001' }), invalid('url', /^Expected `url` \(from REDIS_URL\) to be/));
  });

  it('names the environment variable a bad value came from', () => {
    assert.throws(() => resolveOptions({}, { MESSAGING_BROKER: 'redsi' }), invalid('broker', /^Expected `broker` \(from MESSAGING_BROKER\) to be one of kafka, rabbitmq, redis, memory, got "redsi"\.$/));
    assert.throws(() => resolveOptions({ broker: 'redis' }, { REDIS_URL: 'redis//cache:6379' }), invalid('url', /^Expected `url` \(from REDIS_URL\) to be/));
    assert.throws(() => resolveOptions({ broker: 'rabbitmq' }, { RABBITMQ_URL: 'http://guest:hunter2@mq' }), invalid('url', /^Expected `url` \(from RABBITMQ_URL\) for rabbitmq to start with amqp: or amqps:, got "http:\/\/guest:\*\*\*@mq\/"\.$/));
    assert.throws(() => resolveOptions({ broker: 'kafka' }, { KAFKA_BOOTSTRAP_SERVERS: 'kafka:9092,kafka' }), invalid('bootstrapServers', /^Expected `bootstrapServers` \(from KAFKA_BOOTSTRAP_SERVERS\) entries to look like "host:port"/));
    // A value given in code is the code's mistake: no variable is named.
    assert.throws(() => resolveOptions({ broker: 'redis', url: 'redis//cache:6379' }, { REDIS_URL: 'redis://env:6379' }), invalid('url', /^Expected `url` to be/));
  });

  it('reports a bootstrapServers mistake as bootstrapServers, never as the adapter’s `brokers`', () => {
    for (const bootstrapServers of [[], 'kafka:99999', 'kafka:0', '[::1]:9092', 'a:b:9092']) {
      assert.throws(
        () => createMessaging({ broker: 'kafka', bootstrapServers }),
        (error: unknown) => invalid('bootstrapServers')(error) && !(error as Error).message.includes('brokers'),
        JSON.stringify(bootstrapServers),
      );
    }
  });

  it('does not mutate the caller’s options', () => {
    const options = Object.freeze({ broker: 'memory' as const, clientOptions: Object.freeze({ a: 1 }) });
    const messaging = createMessaging(options);
    assert.equal(messaging.source.length > 0, true);
    assert.deepEqual(options, { broker: 'memory', clientOptions: { a: 1 } });
  });

  it('throws MessagingNotConfiguredError without configuration or environment', () => {
    const saved = process.env.MESSAGING_BROKER;
    delete process.env.MESSAGING_BROKER;
    try {
      assert.throws(() => getProducer(), MessagingNotConfiguredError);
      assert.throws(() => publishEvent('x', {}), (e: unknown) => e instanceof MessagingNotConfiguredError && e.code === 'EVENTWIRE_NOT_CONFIGURED');
    } finally {
      if (saved !== undefined) process.env.MESSAGING_BROKER = saved;
    }
  });

  it('configures itself from MESSAGING_BROKER alone', () => {
    const saved = process.env.MESSAGING_BROKER;
    process.env.MESSAGING_BROKER = 'memory';
    try {
      assert.equal(typeof getMessaging().publishEvent, 'function');
    } finally {
      if (saved === undefined) delete process.env.MESSAGING_BROKER;
      else process.env.MESSAGING_BROKER = saved;
    }
  });

  it('refuses to configure again while the default instance is in use, and says to close it first', async () => {
    const first = configureMessaging({ broker: 'memory', source: 'first' });
    await publishEvent('user.created', { id: 1 }, { topic: 'users' });
    assert.throws(
      () => configureMessaging({ broker: 'memory', source: 'second' }),
      (error: unknown) => error instanceof MessagingAlreadyConfiguredError && error.code === 'EVENTWIRE_ALREADY_CONFIGURED' && /resetMessaging\(\)/.test(error.message),
    );
    // The instance in use stays the default one, still open.
    assert.equal(getMessaging(), first);
    await first.publishEvent('user.created', { id: 2 }, { topic: 'users' });
    await first.close();
    // Closed, it is replaced.
    const second = configureMessaging({ broker: 'memory', source: 'second' });
    assert.equal(getMessaging(), second);
  });

  it('counts consumers that run and events still buffered as in use', async () => {
    const first = configureMessaging({ broker: 'memory', source: 'first' });
    first.createConsumer({ groupId: 'g', topics: 'users', handlers: {} });
    const running = await first.runConsumers();
    assert.throws(() => configureMessaging({ broker: 'memory' }), MessagingAlreadyConfiguredError);
    await running.stop();
    await first.close();
    const buffering = configureMessaging({ broker: 'memory', source: 'buffering' });
    buffering.emitEvent('user.created', { id: 1 }, { topic: 'users' });
    assert.throws(() => configureMessaging({ broker: 'memory' }), MessagingAlreadyConfiguredError);
  });

  it('replaces an instance that was never used, and closes it', async () => {
    const unused = configureMessaging({ broker: 'memory', source: 'unused' });
    const replacing = configureMessaging({ broker: 'memory', source: 'replacing' });
    assert.equal(getMessaging(), replacing);
    // close() was called on it: it takes no new work.
    assert.equal(unused.health().closing, true);
    assert.equal(unused.health().ready, false);
  });

  it('keeps instances independent', async () => {
    const a = configureMessaging({ broker: 'memory', source: 'a' });
    const b = createMessaging({ broker: 'memory', source: 'b' });
    assert.equal(getMessaging(), a);
    assert.notEqual(a, b);
    b.createConsumer({ groupId: 'g', topics: 't', handlers: {} });
    assert.equal(a.consumers().length, 0);
    assert.equal(b.consumers().length, 1);
    await b.close();
  });

  it('checks the adapter’s brokerOptions when configuring, not at the first publish', () => {
    // Found by a fresh-clone walkthrough: a misspelt name used to surface only when publishing,
    // where the fire-and-forget path retried it as if the broker were down.
    assert.throws(() => createMessaging({ broker: 'redis', brokerOptions: { claimIdleMS: 5 } }), invalid('claimIdleMS', /Known options: claimIdleMs/));
    assert.throws(() => configureMessaging({ broker: 'rabbitmq', brokerOptions: { prefetch: 0 } }), invalid('prefetch'));
    assert.throws(() => createMessaging({ broker: 'kafka', brokerOptions: { partition: 6 } }), (error: unknown) => error instanceof InvalidArgumentError);
  });

  it('refuses, up front, a client library that is not installed, naming the package', () => {
    assert.throws(
      () => expectPeer('eventwire-no-such-client', 'Test adapter'),
      (error: unknown) => error instanceof MissingDependencyError && error.code === 'EVENTWIRE_MISSING_DEPENDENCY' && /npm install eventwire-no-such-client/.test(error.message),
    );
    assert.doesNotThrow(() => expectPeer('ioredis', 'Redis adapter'));
  });
});
