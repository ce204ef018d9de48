import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AckClient } from '../../adapters/redis/ack-batcher.js';
import type { RedisClient } from '../../adapters/redis/client.js';
import { ensureGroups, RedisConnection } from '../../adapters/redis/connection.js';
import { RedisMember } from '../../adapters/redis/member.js';
import { validateRedisOptions } from '../../adapters/redis/options.js';
import { appendBatch } from '../../adapters/redis/publish.js';
import type { DeliveryCallback, IncomingMessage } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { collector, deferred, withTimeout } from '../support/wait.js';

const url = brokers.redis.url;
const WAIT = 10_000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Waits, turn by turn, until `condition` holds. */
async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  await withTimeout(
    (async () => {
      while (!(await condition())) await nextTurn();
    })(),
    WAIT,
    what,
  );
}

/**
 * The XACKs of a member, sent to Redis at once through the real client, whose replies the member
 * sees only after release(): each XACK is executed by Redis but stays "in flight" for the member.
 */
function heldAcks(redis: RedisClient): { readonly client: AckClient; readonly calls: string[][]; release(): void } {
  const calls: string[][] = [];
  const released = deferred();
  const client: AckClient = {
    xack(topic, group, ...ids) {
      calls.push([topic, group, ...ids]);
      const reply = redis.xack(topic, group, ...ids);
      return released.promise.then(() => reply);
    },
  };
  return { client, calls, release: () => released.resolve() };
}

/**
 * The Redis member's wiring to its ack batcher, on a real Redis: the member is built as the
 * adapter builds it (index.ts), with the XACK replies held back through its `acks` client.
 */
describe('Redis member', function () {
  this.timeout(20_000);
  let admin: Redis;
  let topic: string;
  let group: string;
  let cleanups: (() => unknown)[];

  before(async function () {
    await requireBroker(this, 'redis');
    admin = new Redis(url);
  });

  after(() => admin?.disconnect());

  beforeEach(() => {
    const id = randomUUID().slice(0, 8);
    topic = `ew-test-member-${id}`;
    group = `billing-${id}`;
    cleanups = [];
  });

  afterEach(async () => {
    // In order: the test's gates, then the held replies, then the connection.
    for (const cleanup of cleanups) await cleanup();
    await admin.del(topic);
  });

  /** Opens a connection and starts a member on it, as the adapter's subscribe() does, with held XACK replies. */
  async function start(deliver: DeliveryCallback, concurrency: number) {
    const settings = validateRedisOptions({ url, logger: silentLogger });
    const connection = new RedisConnection(settings, settings.logger);
    const redis = await connection.shared();
    await ensureGroups(redis, [topic], group);
    const readers = await connection.readers([topic]);
    const acks = heldAcks(redis);
    const controller = new AbortController();
    const member = new RedisMember({ groupId: group, topics: [topic], concurrency, signal: controller.signal }, deliver, { connection, redis, readers, settings, acks: acks.client });
    /** The adapter's close(): stop every member, wait for them, then disconnect. */
    const close = (): Promise<void> =>
      connection.close(() => {
        member.stop();
        return member.closed;
      });
    cleanups.push(() => acks.release(), close);
    const subscription = member.start();
    const publish = (...values: string[]) => appendBatch(redis, topic, values.map((value) => ({ headers: {}, value: Buffer.from(value) })), settings);
    return { acks, controller, subscription, close, publish };
  }

  async function pendingCount(): Promise<number> {
    const [count] = (await admin.xpending(topic, group)) as [number];
    return count;
  }

  it('frees the handler slot once the XACK is sent, and stopping waits for the XACK replies', async () => {
    const handled = collector<string>(3);
    const { acks, controller, subscription, publish } = await start(async (incoming) => handled.push(incoming.value.toString()), 1);
    await publish('1', '2', '3');
    // With concurrency 1 and no XACK answered, the next entries run only if the slot is freed first.
    assert.deepEqual(await withTimeout(handled.done, WAIT, 'three entries handled while no XACK was answered'), ['1', '2', '3']);
    await until(() => acks.calls.length === 3, 'the three XACKs to be sent');
    controller.abort();
    let settled = false;
    void subscription.closed.then(() => (settled = true));
    for (let turn = 0; turn < 5; turn += 1) await nextTurn();
    assert.equal(settled, false, 'closed waits for the XACK replies');
    acks.release();
    await withTimeout(subscription.closed, WAIT, 'closed once the replies arrived');
    assert.equal(await pendingCount(), 0);
  });

  it('acknowledges the entries handled in one event-loop turn with one XACK', async () => {
    const gate = deferred();
    cleanups.push(() => gate.resolve());
    const started = collector<string>(4);
    const { acks, publish } = await start(async (incoming: IncomingMessage) => {
      started.push(incoming.id);
      await gate.promise;
    }, 4);
    await publish('1', '2', '3', '4');
    const ids = await withTimeout(started.done, WAIT, 'four callbacks waiting at the gate');
    gate.resolve();
    await until(() => acks.calls.length > 0, 'the XACK');
    await nextTurn();
    assert.deepEqual(acks.calls, [[topic, group, ...ids]]);
    acks.release();
    await until(async () => (await pendingCount()) === 0, 'no entry pending');
  });

  it('close() waits for the XACKs already sent and sends none for callbacks still running', async () => {
    const busy = deferred();
    cleanups.push(() => busy.resolve());
    const fastDone = deferred();
    const slowStarted = deferred();
    const slowReturned = deferred();
    const { acks, close, publish } = await start(async (incoming) => {
      if (incoming.value.toString() === 'fast') return fastDone.resolve();
      slowStarted.resolve();
      await busy.promise;
      slowReturned.resolve();
    }, 2);
    await publish('fast', 'slow');
    await withTimeout(Promise.all([fastDone.promise, slowStarted.promise]), WAIT, 'both callbacks to start');
    await until(() => acks.calls.length === 1, 'the XACK of the fast entry');
    let closed = false;
    const closing = close().then(() => (closed = true));
    for (let turn = 0; turn < 5; turn += 1) await nextTurn();
    assert.equal(closed, false, 'close() waits for the reply of the XACK it already sent');
    acks.release();
    await withTimeout(closing, WAIT, 'close() once the reply arrived');
    busy.resolve();
    await withTimeout(slowReturned.promise, WAIT, 'the slow callback to return');
    await nextTurn();
    assert.equal(acks.calls.length, 1, 'no XACK after close()');
    assert.equal(await pendingCount(), 1, 'the entry whose callback outlived close() stays pending, to be delivered again');
  });
});
