import { strict as assert } from 'node:assert';
import type { Event, MessageContext } from '../../entry/index.js';
import { collector, deferred, withTimeout } from '../support/wait.js';
import { failureTests } from './failures.js';
import { Harness, type ConformanceTarget } from './harness.js';
import { stopTests } from './stopping.js';

export type { ConformanceTarget } from './harness.js';

/**
 * The contract every broker must pass before it counts as supported. Call it from
 * `test/conformance/<broker>.test.ts`:
 *
 * @example
 * runConformanceSuite({ name: 'redis', connect: () => createRedisBroker({ url }), prepare: (c) => requireBroker(c, 'redis'), deliveryTimeoutMs: 10_000, crashRedeliveryTimeoutMs: 15_000 });
 */
export function runConformanceSuite(target: ConformanceTarget): void {
  describe(`conformance: ${target.name}`, function () {
    this.timeout(Math.max(30_000, target.crashRedeliveryTimeoutMs * 3));
    const h = new Harness(target);
    before(async function () {
      if (target.prepare !== undefined) await target.prepare(this);
    });
    afterEach(() => h.closeAll());
    after(async () => {
      if (target.cleanup !== undefined) await target.cleanup();
    });

    deliveryTests(h);
    failureTests(h);
    stopTests(h);
  });
}

function deliveryTests(h: Harness): void {
  const wait = <T>(promise: Promise<T>, what: string) => withTimeout(promise, h.target.deliveryTimeoutMs, what);

  it('delivers a published event with its envelope, key and headers', async () => {
    const topic = h.topic('envelope');
    const { messaging } = h.process({ source: 'user-service' });
    const got = deferred<{ event: Event; ctx: MessageContext }>();
    await messaging
      .createConsumer({ groupId: 'g', topics: [topic], handlers: { 'user.created': async (event, ctx) => got.resolve({ event, ctx }) } })
      .start();
    const sent = await messaging.publishEvent('user.created', { id: 7, email: 'a@example.com' }, { topic, key: 7, headers: { tenant: 'acme' } });
    const { event, ctx } = await wait(got.promise, 'the event');
    assert.deepEqual(event, sent);
    assert.match(event.id, /^[0-9a-f-]{36}$/);
    assert.equal(new Date(event.timestamp).toISOString(), event.timestamp);
    assert.equal(event.source, 'user-service');
    assert.equal(ctx.topic, topic);
    assert.equal(ctx.key, '7');
    assert.equal(ctx.groupId, 'g');
    assert.equal(ctx.attempt, 1);
    assert.equal(ctx.headers.tenant, 'acme');
    assert.equal(ctx.headers['eventwire-event'], 'user.created');
  });

  it('hands messageHandler the raw JSON payload sent with getProducer().send()', async () => {
    const topic = h.topic('raw');
    const { messaging } = h.process();
    const got = deferred<unknown>();
    await messaging.messageHandler({ topic, groupId: 'g' }, async (message) => got.resolve(message)).start();
    await messaging.getProducer().send(topic, { order_id: 1, items: [1, 2], note: 'ação ✓' });
    assert.deepEqual(await wait(got.promise, 'the payload'), { order_id: 1, items: [1, 2], note: 'ação ✓' });
  });

  it('splits a group’s messages between its members, each message once', async () => {
    const topic = h.topic('shared');
    const total = 20;
    const seen = collector<string>(total);
    const members = new Set<string>();
    const bothBusy = deferred();
    for (const name of ['a', 'b']) {
      const { messaging } = h.process();
      await messaging
        .messageHandler({ topic, groupId: 'shared' }, async (message: unknown) => {
          members.add(name);
          if (members.size === 2) bothBusy.resolve();
          // Hold each member's first message until the other member got one: proves both share.
          await wait(bothBusy.promise, 'both members to receive a message');
          seen.push((message as { n: string }).n);
        })
        .start();
    }
    const { messaging: producer } = h.process();
    for (let n = 0; n < total; n += 1) await producer.getProducer().send(topic, { n: String(n) }, { key: `k${n}` });
    const all = await wait(seen.done, `${total} messages`);
    assert.deepEqual([...all].sort(), Array.from({ length: total }, (_, n) => String(n)).sort());
    assert.equal(members.size, 2);
  });

  it('gives every group its own copy of every message', async () => {
    const topic = h.topic('fanout');
    const groups = ['billing', 'shipping'].map((groupId) => {
      const seen = collector<number>(5);
      return { groupId, seen };
    });
    for (const { groupId, seen } of groups) {
      const { messaging } = h.process();
      await messaging.messageHandler({ topic, groupId }, async (message: unknown) => seen.push((message as { n: number }).n)).start();
    }
    const { messaging } = h.process();
    for (let n = 0; n < 5; n += 1) await messaging.getProducer().send(topic, { n });
    // Unkeyed messages have no order on a partitioned broker (Kafka): compare as sets.
    for (const { groupId, seen } of groups) assert.deepEqual([...(await wait(seen.done, `group ${groupId}`))].sort(), [0, 1, 2, 3, 4]);
  });

  it('keeps the order of messages with the same key', async () => {
    const topic = h.topic('order');
    const { messaging } = h.process();
    const seen = collector<{ key: string; n: number }>(30);
    await messaging
      .messageHandler({ topic, groupId: 'g' }, async (message: unknown, ctx) => {
        const body = message as { n?: number; data?: { n: number } };
        seen.push({ key: ctx.key ?? '', n: body.n ?? body.data?.n ?? -1 });
      })
      .start();
    const events = Array.from({ length: 30 }, (_, n) => ({ key: `user-${n % 3}`, n }));
    // Through the fire-and-forget path, so batching must keep the order too.
    for (const { key, n } of events.slice(0, 15)) await messaging.getProducer().send(topic, { n }, { key });
    for (const { key, n } of events.slice(15)) messaging.emitEvent('tick', { n }, { topic, key });
    const received = await wait(seen.done, '30 messages');
    for (const key of ['user-0', 'user-1', 'user-2']) {
      const order = received.filter((m) => m.key === key).map((m) => m.n);
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `order of ${key}`);
    }
  });

  it('acknowledges and skips events that have no handler', async () => {
    const topic = h.topic('skip');
    const first = h.process();
    const handled = deferred<string>();
    await first.messaging.createConsumer({ groupId: 'g', topics: topic, handlers: { wanted: async (e) => handled.resolve(e.name) } }).start();
    // One key, so the two keep their order on partitioned brokers too.
    await first.messaging.publishEvent('unwanted', {}, { topic, key: 'k' });
    await first.messaging.publishEvent('wanted', {}, { topic, key: 'k' });
    assert.equal(await wait(handled.promise, 'the wanted event'), 'wanted');
    assert.equal(first.messaging.stats().skipped, 1);
    await first.messaging.close();
    // A new member of the same group sees only what came after: the skipped event was acknowledged.
    const second = h.process();
    const next = deferred<string>();
    await second.messaging
      .createConsumer({ groupId: 'g', topics: topic, handlers: { unwanted: async (e) => next.resolve(`unwanted ${e.id}`), marker: async (e) => next.resolve(e.name) } })
      .start();
    await second.messaging.publishEvent('marker', {}, { topic, key: 'k' });
    assert.equal(await wait(next.promise, 'the marker'), 'marker');
  });
}
