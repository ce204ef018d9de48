import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisBroker, type RedisBrokerOptions } from '../../adapters/redis/index.js';
import { createMessaging } from '../../entry/index.js';
import type { Broker, DeliveryCallback, IncomingMessage, OutgoingMessage, Subscription } from '../../lib/broker.js';
import { createProxy } from '../support/proxy.js';
import { BrokerLoginRefusedError, BrokerUnreachableError } from '../../lib/errors/index.js';
import { silentLogger, type Logger } from '../../lib/config/logger.js';
import { invalidOption } from '../support/invalid-option.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { collector, deferred, withTimeout } from '../support/wait.js';

const url = brokers.redis.url;
const WAIT = 10_000;
/** For JSON.stringify: an error with every own property (a JSON logger such as pino writes them all), not `{}`. */
const errorProperties = (_key: string, value: unknown): unknown =>
  value instanceof Error ? Object.fromEntries(Object.getOwnPropertyNames(value).map((name) => [name, (value as unknown as Record<string, unknown>)[name]])) : value;
const message = (value: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ headers: {}, value: Buffer.from(value), ...extra });

describe('Redis adapter', function () {
  let admin: Redis;
  let topic: string;
  let group: string;
  let opened: Broker[];
  let controllers: AbortController[];
  let releases: (() => void)[];

  before(async function () {
    await requireBroker(this, 'redis');
    admin = new Redis(url);
  });

  after(() => admin?.disconnect());

  beforeEach(() => {
    const id = randomUUID().slice(0, 8);
    topic = `ew-test-orders-${id}`;
    group = `billing-${id}`;
    opened = [];
    controllers = [];
    releases = [];
  });

  afterEach(async () => {
    for (const controller of controllers) controller.abort();
    for (const release of releases) release();
    await Promise.all(opened.map((broker) => broker.close()));
    await admin.del(topic);
  });

  function broker(overrides: Partial<RedisBrokerOptions> = {}): Broker {
    const created = createRedisBroker({ url, logger: silentLogger, ...overrides });
    opened.push(created);
    return created;
  }

  async function subscribe(target: Broker, deliver: DeliveryCallback, options: { group?: string; concurrency?: number } = {}): Promise<{ subscription: Subscription; controller: AbortController }> {
    const controller = new AbortController();
    controllers.push(controller);
    const request = { groupId: options.group ?? group, topics: [topic], concurrency: options.concurrency ?? 1, signal: controller.signal };
    return { subscription: await target.subscribe(request, deliver), controller };
  }

  /** A promise the test releases itself, also released after each test so nothing hangs. */
  function gate(): { readonly promise: Promise<void>; release(): void } {
    const open = deferred();
    releases.push(() => open.resolve());
    return { promise: open.promise, release: () => open.resolve() };
  }

  async function pendingCount(groupId = group): Promise<number> {
    const [count] = (await admin.xpending(topic, groupId)) as [number];
    return count;
  }

  it('writes the documented wire format: value, key when set, headers when not empty', async () => {
    const value = Buffer.from('{"id":1,"name":"Zoë"}');
    await broker().publish(topic, [message('{}', { key: 'k-1', headers: { 'x-trace': 'abc' }, value }), message('[]')]);
    const entries = await admin.xrangeBuffer(topic, '-', '+');
    assert.equal(entries.length, 2);
    const [first, second] = entries.map(([, fields]) => fields.map((field) => field.toString()));
    assert.deepEqual(first, ['value', value.toString(), 'key', 'k-1', 'headers', '{"x-trace":"abc"}']);
    assert.deepEqual(second, ['value', '[]']);
  });

  it('writes a batch with the append script and with pipelined XADDs alike, in order; Redis errors reject either way', async () => {
    const batch = [message('{"n":1}', { key: 'k-1', headers: { 'x-trace': 'abc' } }), message('{"n":2}'), message('{"n":3}', { key: '' }), message('{"n":4}', { headers: { a: '1', b: '2' } })];
    const written: string[][][] = [];
    for (const batchScript of [true, false]) {
      const stream = `${topic}-${String(batchScript)}`;
      await broker({ batchScript }).publish(stream, batch);
      written.push((await admin.xrangeBuffer(stream, '-', '+')).map(([, fields]) => fields.map((field) => field.toString())));
      await admin.del(stream);
    }
    assert.deepEqual(written[0], [
      ['value', '{"n":1}', 'key', 'k-1', 'headers', '{"x-trace":"abc"}'],
      ['value', '{"n":2}'],
      ['value', '{"n":3}', 'key', ''],
      ['value', '{"n":4}', 'headers', '{"a":"1","b":"2"}'],
    ]);
    assert.deepEqual(written[1], written[0], 'the script writes what pipelined XADDs write');

    const notAStream = `${topic}-string`;
    await admin.set(notAStream, 'x');
    try {
      for (const batchScript of [true, false]) await assert.rejects(broker({ batchScript }).publish(notAStream, batch), /WRONGTYPE/);
    } finally {
      await admin.del(notAStream);
    }
  });

  it('publishes a single message with a plain XADD: same wire format, Redis errors reject, maxLen trims', async () => {
    await broker().publish(topic, [message('{}', { key: 'k-1', headers: { 'x-trace': 'abc' } })]);
    const [[, fields] = [Buffer.alloc(0), []]] = await admin.xrangeBuffer(topic, '-', '+');
    assert.deepEqual(fields.map((field) => field.toString()), ['value', '{}', 'key', 'k-1', 'headers', '{"x-trace":"abc"}']);

    const notAStream = `${topic}-string`;
    await admin.set(notAStream, 'x');
    try {
      await assert.rejects(broker().publish(notAStream, [message('{}')]), /WRONGTYPE/);
    } finally {
      await admin.del(notAStream);
    }

    const trimmed = broker({ maxLen: 10 });
    for (let index = 0; index < 300; index += 1) await trimmed.publish(topic, [message(String(index))]);
    assert.ok((await admin.xlen(topic)) < 300);
  });

  it('delivers what was published, with key, headers and binary-safe value', async () => {
    const target = broker();
    const received = deferred<IncomingMessage>();
    await subscribe(target, async (incoming) => received.resolve(incoming));
    const value = Buffer.from([0x7b, 0xff, 0x00, 0xc3, 0x7d]);
    await target.publish(topic, [{ key: 'order-42', headers: { 'content-type': 'application/json', 'x-id': 'é' }, value }]);
    const incoming = await withTimeout(received.promise, WAIT, 'the message');
    assert.equal(incoming.topic, topic);
    assert.equal(incoming.key, 'order-42');
    assert.deepEqual(incoming.headers, { 'content-type': 'application/json', 'x-id': 'é' });
    assert.deepEqual(incoming.value, value);
    assert.equal(incoming.deliveryCount, 1);
    assert.match(incoming.id, /^\d+-\d+$/);
  });

  it('shares a group between its members', async () => {
    const first = broker();
    const second = broker();
    const busy = gate();
    const all = collector<string>(10);
    const started = deferred();
    const byFirst: string[] = [];
    const byOther: string[] = [];
    await subscribe(first, async (incoming) => {
      byFirst.push(incoming.value.toString());
      all.push(incoming.value.toString());
      started.resolve();
      await busy.promise;
    });
    await subscribe(second, async (incoming) => {
      byOther.push(incoming.value.toString());
      all.push(incoming.value.toString());
    });
    await first.publish(topic, [message('0')]);
    await withTimeout(started.promise, WAIT, 'the first member to start');
    // The first member is busy with concurrency 1, so the rest must reach the other member.
    await first.publish(topic, Array.from({ length: 9 }, (_, index) => message(String(index + 1))));
    await withTimeout(all.done, WAIT, 'all ten messages');
    assert.deepEqual([...byFirst, ...byOther].sort(), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    assert.deepEqual(byFirst, ['0']);
    busy.release();
  });

  it('gives every group every message', async () => {
    const target = broker();
    const a = collector<string>(3);
    const b = collector<string>(3);
    await subscribe(target, async (incoming) => a.push(incoming.value.toString()), { group: `${group}-a` });
    await subscribe(target, async (incoming) => b.push(incoming.value.toString()), { group: `${group}-b` });
    await target.publish(topic, [message('1'), message('2'), message('3')]);
    assert.deepEqual(await withTimeout(a.done, WAIT, 'group a'), ['1', '2', '3']);
    assert.deepEqual(await withTimeout(b.done, WAIT, 'group b'), ['1', '2', '3']);
  });

  it('handles a topic in order with concurrency 1', async () => {
    const target = broker();
    const seen = collector<number>(50);
    // Recorded here, asserted below: a failed assertion inside the callback would only reject the
    // delivery, turning into redeliveries and a timeout that hides the message.
    let running = 0;
    let mostAtOnce = 0;
    await subscribe(target, async (incoming) => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(Number(incoming.value.toString()));
      running -= 1;
    });
    await target.publish(topic, Array.from({ length: 25 }, (_, index) => message(String(index))));
    await target.publish(topic, Array.from({ length: 25 }, (_, index) => message(String(index + 25))));
    assert.deepEqual(await withTimeout(seen.done, WAIT, 'fifty messages'), Array.from({ length: 50 }, (_, index) => index));
    assert.equal(mostAtOnce, 1, 'one callback at a time');
  });

  it('delivers a rejected message again, counting the delivery', async () => {
    const target = broker({ claimIdleMs: 1000 });
    const deliveries = collector<IncomingMessage>(2);
    const { subscription, controller } = await subscribe(target, async (incoming) => {
      deliveries.push(incoming);
      if (incoming.deliveryCount === 1) throw new Error('not yet');
    });
    await target.publish(topic, [message('retry me')]);
    const [first, second] = await withTimeout(deliveries.done, WAIT, 'the redelivery');
    assert.equal(first?.deliveryCount, 1);
    assert.equal(second?.deliveryCount, 2);
    assert.equal(second?.id, first?.id);
    controller.abort();
    await withTimeout(subscription.closed, WAIT, 'the subscription to close');
    assert.equal(await pendingCount(), 0);
  });

  it('hands the messages of a closed (crashed) member to another member via XAUTOCLAIM', async () => {
    const crashed = broker({ claimIdleMs: 500 });
    const started = deferred<IncomingMessage>();
    const { subscription } = await subscribe(crashed, async (incoming) => {
      started.resolve(incoming);
      await gate().promise;
    });
    await crashed.publish(topic, [message('survives')]);
    const first = await withTimeout(started.promise, WAIT, 'the first delivery');
    await crashed.close();
    await withTimeout(subscription.closed, WAIT, 'closed to settle after close()');
    assert.equal(await pendingCount(), 1);

    const survivor = broker({ claimIdleMs: 500 });
    const taken = deferred<IncomingMessage>();
    const { subscription: other, controller } = await subscribe(survivor, async (incoming) => taken.resolve(incoming));
    const second = await withTimeout(taken.promise, WAIT, 'the claimed message');
    assert.equal(second.id, first.id);
    assert.equal(second.value.toString(), 'survives');
    assert.ok((second.deliveryCount ?? 0) >= 2, `deliveryCount ${second.deliveryCount}`);
    controller.abort();
    await withTimeout(other.closed, WAIT, 'the survivor to close');
    assert.equal(await pendingCount(), 0);
  });

  it('takes over a crashed member\'s entry also while busy with a steady stream of new ones', async () => {
    // Found by tools/faults/scenarios/worker-killed.ts: XAUTOCLAIM ran only when the member had a free
    // slot at the moment of the claim tick, which a busy member (the next entry is read as soon
    // as one finishes) almost never has; the orphan waited until the stream ran dry.
    const crashed = broker({ claimIdleMs: 200 });
    const started = deferred();
    await subscribe(crashed, async () => {
      started.resolve();
      await gate().promise;
    });
    await crashed.publish(topic, [message('orphan')]);
    await withTimeout(started.promise, WAIT, 'the delivery to the member that crashes');
    await crashed.close();

    const busy = 60;
    const order: string[] = [];
    const done = collector<string>(busy + 1);
    await subscribe(broker({ claimIdleMs: 200 }), async (incoming) => {
      order.push(incoming.value.toString());
      // A deliberately slow handler keeps the member busy: 60 × 50 ms, at least 3 s (timers never
      // fire early), while the orphan is claimable after claimIdleMs (200 ms) plus one claim tick
      // (100 ms): ten times that on a loaded machine still ends before the stream runs dry.
      if (incoming.value.toString() !== 'orphan') await new Promise((resolve) => setTimeout(resolve, 50));
      done.push(incoming.id);
    });
    await broker().publish(topic, Array.from({ length: busy }, (_, index) => message(`new-${index}`)));
    await withTimeout(done.done, WAIT, 'the orphan and the new entries');
    // Taken over while busy: some new entry was still waiting when the orphan came, i.e. it did
    // not wait for the stream to run dry (the bug: it came last).
    assert.ok(order.indexOf('orphan') < busy, `the orphan came at position ${order.indexOf('orphan')} of ${order.length}, after every new entry`);
  });

  it('keeps a long-running message from being claimed while its callback runs (heartbeat)', async () => {
    const owner = broker({ claimIdleMs: 300 });
    const other = broker({ claimIdleMs: 300 });
    const busy = gate();
    const started = deferred();
    const claimed: IncomingMessage[] = [];
    let heartbeats = 0;
    await subscribe(owner, async () => {
      started.resolve();
      await busy.promise;
    });
    await owner.publish(topic, [message('slow')]);
    await withTimeout(started.promise, WAIT, 'the slow callback to start');
    await subscribe(other, async (incoming) => void claimed.push(incoming));
    // Waits for several claim periods by watching the idle time reset instead of sleeping.
    await withTimeout(
      (async () => {
        for (let last = 0; heartbeats < 4 && claimed.length === 0; ) {
          const [[, , idle] = []] = (await admin.xpending(topic, group, '-', '+', 1)) as [string, string, number][];
          if (idle !== undefined && idle < last) heartbeats += 1;
          last = idle ?? last;
          await new Promise((resolve) => setImmediate(resolve));
        }
      })(),
      WAIT,
      'four heartbeats',
    );
    assert.deepEqual(claimed, []);
    busy.release();
  });

  it('drains the in-flight callback on abort and acknowledges it', async () => {
    const target = broker();
    const busy = gate();
    const started = deferred();
    let finished = false;
    const { subscription, controller } = await subscribe(target, async () => {
      started.resolve();
      await busy.promise;
      finished = true;
    });
    await target.publish(topic, [message('drain me')]);
    await withTimeout(started.promise, WAIT, 'the callback to start');
    controller.abort();
    let settled = false;
    void subscription.closed.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'closed must wait for the running callback');
    busy.release();
    await withTimeout(subscription.closed, WAIT, 'closed after draining');
    assert.equal(finished, true);
    assert.equal(await pendingCount(), 0);
  });

  it('stops in bounded time when Redis goes silent while an acknowledgement is in flight', async () => {
    // Found by tools/faults/scenarios/connection-cut.ts: with the network blackholed, stopping waited
    // forever for the XACK's reply (ioredis has no command timeout), and so did close().
    const proxy = await createProxy(Number(new URL(url).port || 6379));
    try {
      const proxied = new URL(url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const silent = broker({ url: proxied.toString() });
      const busy = gate();
      const started = deferred();
      const { subscription, controller } = await subscribe(silent, async () => {
        started.resolve();
        await busy.promise;
      });
      await broker().publish(topic, [message('acked into the silence')]);
      await withTimeout(started.promise, WAIT, 'the callback to start');
      proxy.blackhole();
      busy.release();
      controller.abort();
      await withTimeout(subscription.closed, 6_000, 'closed while Redis does not answer the XACK');
      assert.equal(await pendingCount(), 1, 'the entry whose XACK got no reply stays pending, to be delivered again');
    } finally {
      proxy.restore();
      await proxy.close();
    }
  });

  it('recreates a deleted stream and group and keeps consuming', async () => {
    const warned = deferred<string>();
    const logger: Logger = { ...silentLogger, warn: (text) => warned.resolve(text) };
    const target = broker({ logger, blockMs: 200 });
    const received = deferred<string>();
    await subscribe(target, async (incoming) => received.resolve(incoming.value.toString()));
    await admin.del(topic);
    assert.match(await withTimeout(warned.promise, WAIT, 'the NOGROUP warning'), /deleted/);
    await withTimeout(
      (async () => {
        while (!((await admin.exists(topic)) === 1)) await new Promise((resolve) => setImmediate(resolve));
      })(),
      WAIT,
      'the group to be recreated',
    );
    await target.publish(topic, [message('after')]);
    assert.equal(await withTimeout(received.promise, WAIT, 'a message after recreation'), 'after');
  });

  it('keeps consuming after its connections were killed', async () => {
    const connectionName = `ew-test-${group}`;
    const target = broker({ clientOptions: { connectionName } });
    const received = collector<string>(2);
    const first = deferred();
    await subscribe(target, async (incoming) => {
      received.push(incoming.value.toString());
      first.resolve();
    });
    await target.publish(topic, [message('before')]);
    await withTimeout(first.promise, WAIT, 'the first message');
    const clients = String(await admin.call('CLIENT', 'LIST')).split('\n').filter((line) => line.includes(` name=${connectionName} `));
    assert.equal(clients.length, 2, 'the shared and the reading connection');
    for (const line of clients) await admin.call('CLIENT', 'KILL', 'ID', /\bid=(\d+)/.exec(line)?.[1] ?? '');
    await target.publish(topic, [message('after')]);
    assert.deepEqual(await withTimeout(received.done, WAIT, 'the message after the reconnection'), ['before', 'after']);
  });

  it('rejects publish quickly when Redis is unreachable, and never logs the password', async () => {
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (text, fields) => void lines.push(`${text} ${JSON.stringify(fields)}`) };
    const target = broker({ url: 'redis://:secret@127.0.0.1:1', logger });
    const error = await withTimeout(target.publish(topic, [message('lost')]).then(() => undefined, (reason: unknown) => reason), WAIT, 'the rejection');
    // ioredis's own error ("Reached the max retries per request limit") points at a client
    // option; the error names the server and why it cannot be reached (found by a new user).
    assert.ok(error instanceof BrokerUnreachableError, String(error));
    assert.match(error.message, /Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is unreachable: .*ECONNREFUSED/);
    assert.doesNotMatch(error.message, /secret/);
    assert.match(lines.join('\n'), /redis:\/\/:\*\*\*@127\.0\.0\.1:1/);
    assert.doesNotMatch(lines.join('\n'), /secret/);
  });

  it('reports a refused login as BrokerLoginRefusedError, and the password reaches neither the log fields nor the error chain', async () => {
    const lines: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (text, fields) => void lines.push(`${text} ${JSON.stringify(fields, errorProperties)}`) };
    const user = `nobody-${randomUUID()}`;
    const target = broker({ url: `redis://${user}:S3CRETpw@${new URL(url).host}`, logger });
    const error = await withTimeout(target.publish(topic, [message('lost')]).then(() => undefined, (reason: unknown) => reason), WAIT, 'the rejection');
    assert.ok(error instanceof BrokerLoginRefusedError, String(error));
    assert.match(error.message, /refused the login: WRONGPASS/);
    const chain: unknown[] = [];
    for (let link: unknown = error; link instanceof Error; link = link.cause) chain.push(link);
    assert.ok(chain.length > 1, 'the error keeps its cause');
    const seen = `${lines.join('\n')}\n${JSON.stringify(chain, errorProperties)}`;
    assert.ok(seen.includes(user), 'the user name is there: the redaction is what keeps the password out');
    assert.doesNotMatch(seen, /S3CRETpw/);
  });

  it('rejects publish when its signal is aborted', async () => {
    await assert.rejects(broker().publish(topic, [message('x')], AbortSignal.abort(new Error('too late'))), /too late/);
  });

  it('refuses bad options with an InvalidArgumentError naming the option as written, built by hand or configured', async () => {
    const known = 'Known options: url, clientOptions, logger, claimIdleMs, redeliveryDelayMs, blockMs, maxLen, batchScript, cluster, clusterOptions, sentinel.';
    const cases: [options: Record<string, unknown>, argument: string, message: string][] = [
      [{ url: 'http://user:hunter2@host' }, 'url', 'Expected `url` to be a redis:// or rediss:// URL, got "http://user:***@host/".'],
      [{ url: undefined }, 'url', 'Expected `url` to be a redis:// or rediss:// URL, got undefined.'],
      [{ claimIdleMs: -1 }, 'claimIdleMs', 'Expected `claimIdleMs` to be an integer of at least 1, got -1.'],
      [{ redeliveryDelayMs: -1 }, 'redeliveryDelayMs', 'Expected `redeliveryDelayMs` to be a non-negative integer, got -1.'],
      [{ blockMs: 1.5 }, 'blockMs', 'Expected `blockMs` to be an integer of at least 1, got 1.5.'],
      [{ maxLen: '10' }, 'maxLen', 'Expected `maxLen` to be an integer of at least 1, got "10".'],
      [{ batchScript: 'no' }, 'batchScript', 'Expected `batchScript` to be a boolean, got "no".'],
      [{ clientOptions: null }, 'clientOptions', 'Expected `clientOptions` to be an object, got null.'],
      [{ url: [] }, 'url', 'Expected `url` to be a URL or a non-empty array of URLs, got an array.'],
      [{ url: ['redis://a:7000', 'http://b:7001'] }, 'url[1]', 'Expected `url[1]` to be a redis:// or rediss:// URL, got "http://b:7001/".'],
      [{ url: ['redis://a:7000', 'redis://b:7001'], cluster: false }, 'cluster', '`url` lists 2 nodes, which only a Redis Cluster client (or Sentinel, with `sentinel`) can use: remove `cluster: false`, or give one URL for a single Redis server.'],
      [{ cluster: 'yes' }, 'cluster', 'Expected `cluster` to be a boolean, got "yes".'],
      [{ clusterOptions: { natMap: {} } }, 'clusterOptions', '`clusterOptions` only applies to a Redis Cluster: list its nodes in `url` or set `cluster: true`, or remove `clusterOptions`.'],
      [{ cluster: true, clusterOptions: { redisOptions: {} } }, 'clusterOptions', 'Put the options of each node\'s connection in `clientOptions`, not in `clusterOptions.redisOptions`.'],
      [{ logger: { info() {} } }, 'logger.debug', 'Expected `logger.debug` to be a function, got undefined.'],
      [{ claimIdle: 5 }, 'claimIdle', `Unknown option \`claimIdle\` in createRedisBroker options. Did you mean \`claimIdleMs\`? ${known}`],
      [{ maxlen: 5 }, 'maxlen', `Unknown option \`maxlen\` in createRedisBroker options. Did you mean \`maxLen\`? ${known}`],
    ];
    for (const [options, argument, message] of cases) {
      assert.throws(() => createRedisBroker({ url, ...options } as unknown as RedisBrokerOptions), invalidOption(argument, message));
    }
    // Through configureMessaging, brokerOptions hold only the adapter's own settings.
    const configured = (brokerOptions: Record<string, unknown>) => () => createMessaging({ broker: 'redis', url, brokerOptions, logger: silentLogger });
    assert.throws(configured({ claimIdle: 5 }), invalidOption('claimIdle', 'Unknown option `claimIdle` in brokerOptions for Redis. Did you mean `claimIdleMs`? Known options: claimIdleMs, redeliveryDelayMs, blockMs, maxLen, batchScript, cluster, clusterOptions, sentinel.'));
    assert.throws(configured({ url: 'redis://elsewhere:6379' }), invalidOption('url', /^Unknown option `url` in brokerOptions for Redis\./));
    assert.throws(configured({ maxLen: 0 }), invalidOption('maxLen', 'Expected `maxLen` to be an integer of at least 1, got 0.'));
    const messaging = configured({ claimIdleMs: 5000 })();
    assert.equal(messaging.brokerName, 'redis');
    await messaging.close();
  });

  it('trims streams approximately when maxLen is given, with the append script and with pipelined XADDs', async () => {
    for (const batchScript of [true, false]) {
      const target = broker({ maxLen: 10, batchScript });
      for (let batch = 0; batch < 5; batch += 1) await target.publish(topic, Array.from({ length: 100 }, (_, index) => message(String(index))));
      assert.ok((await admin.xlen(topic)) < 500, `trimmed with batchScript: ${String(batchScript)}`);
      await admin.del(topic);
    }
  });
});
