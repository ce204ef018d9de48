import { strict as assert } from 'node:assert';
import { z } from 'zod';
import { MessageTooLargeError, SerializationError, UnrecoverableError, deadLetterHeaders as dl } from '../../entry/index.js';
import { deferred, withTimeout } from '../support/wait.js';
import type { Harness } from './harness.js';

interface DeadLetter {
  /** The original bytes, unchanged. */
  readonly raw: string;
  readonly payload: unknown;
  readonly ctx: { readonly key: string | undefined; readonly headers: Readonly<Record<string, string>> };
}

/** Retries, dead letters, bad payloads and bad input, on one broker. */
export function failureTests(h: Harness): void {
  const wait = <T>(promise: Promise<T>, what: string) => withTimeout(promise, h.target.deliveryTimeoutMs * 2, what);

  /** Subscribes a raw reader to `<topic>.dlq` first, so the dead letter has a group to reach. */
  async function deadLetterReader(topic: string): Promise<{ readonly next: Promise<DeadLetter> }> {
    const { broker } = h.process();
    const got = deferred<DeadLetter>();
    const stop = new AbortController();
    await broker.subscribe({ groupId: 'ops', topics: [`${topic}.dlq`], concurrency: 1, signal: stop.signal }, async (message) => {
      const raw = message.value.toString('utf8');
      let payload: unknown;
      try {
        payload = JSON.parse(raw);
      } catch {
        payload = undefined;
      }
      got.resolve({ raw, payload, ctx: { key: message.key, headers: message.headers } });
    });
    return { next: got.promise.finally(() => stop.abort()) };
  }

  it('retries maxRetries times, retryDelayMs apart, then dead-letters with the error', async () => {
    const topic = h.topic('retry');
    const deadLetter = await deadLetterReader(topic);
    const { messaging } = h.process();
    const attempts: { attempt: number; at: number }[] = [];
    const consumer = messaging.messageHandler({ topic, groupId: 'payments', maxRetries: 2, retryDelayMs: 100 }, async (_message, ctx) => {
      attempts.push({ attempt: ctx.attempt, at: Date.now() });
      throw new Error('card declined');
    });
    await consumer.start();
    await messaging.getProducer().send(topic, { amount: 10 }, { key: 'order-1', headers: { tenant: 'acme' } });
    const { payload, ctx } = await wait(deadLetter.next, 'the dead letter');
    assert.deepEqual(payload, { amount: 10 });
    assert.equal(ctx.key, 'order-1');
    assert.equal(ctx.headers.tenant, 'acme');
    assert.equal(ctx.headers[dl.error], 'card declined');
    assert.equal(ctx.headers[dl.reason], 'handler-error');
    assert.equal(ctx.headers[dl.attempts], '3');
    assert.equal(ctx.headers[dl.topic], topic);
    assert.equal(ctx.headers[dl.group], 'payments');
    assert.deepEqual(attempts.map((a) => a.attempt), [1, 2, 3]);
    for (let i = 1; i < attempts.length; i += 1) {
      assert.ok((attempts[i]?.at ?? 0) - (attempts[i - 1]?.at ?? 0) >= 95, 'attempts are retryDelayMs apart');
    }
    // The reader may see the dead letter before the publisher's acknowledgement: stop drains it.
    await consumer.stop();
    assert.equal(messaging.stats().deadLettered, 1);
  });

  it('handles a message that succeeds on a retry, without a dead letter', async () => {
    const topic = h.topic('recover');
    const { messaging } = h.process();
    const done = deferred<number>();
    await messaging
      .messageHandler({ topic, groupId: 'g', maxRetries: 3, retryDelayMs: 10 }, async (_message, ctx) => {
        if (ctx.attempt < 3) throw new Error('flaky');
        done.resolve(ctx.attempt);
      })
      .start();
    await messaging.getProducer().send(topic, {});
    assert.equal(await wait(done.promise, 'the third attempt'), 3);
    assert.equal(messaging.stats().deadLettered, 0);
    assert.equal(messaging.stats().retried, 2);
  });

  it('dead-letters a schema failure at once, without retries, and keeps consuming', async () => {
    const topic = h.topic('schema');
    const deadLetter = await deadLetterReader(topic);
    const { messaging } = h.process();
    const OrderCreated = z.object({ order_id: z.number(), total: z.number() });
    const calls: unknown[] = [];
    const good = deferred<unknown>();
    await messaging
      .messageHandler({ topic, groupId: 'g', schema: OrderCreated, maxRetries: 5, retryDelayMs: 10 }, async (order) => {
        calls.push(order);
        good.resolve(order);
      })
      .start();
    await messaging.getProducer().send(topic, { order_id: 'one', total: 5 });
    await messaging.getProducer().send(topic, { order_id: 2, total: 5, extra: true });
    const { ctx } = await wait(deadLetter.next, 'the dead letter');
    assert.equal(ctx.headers[dl.reason], 'validation');
    assert.equal(ctx.headers[dl.attempts], '1');
    assert.match(ctx.headers[dl.error] ?? '', /order_id/);
    assert.deepEqual(await wait(good.promise, 'the valid message'), { order_id: 2, total: 5 });
    assert.equal(calls.length, 1);
  });

  it('dead-letters an UnrecoverableError at once, without retries, with its reason', async () => {
    const topic = h.topic('unrecoverable');
    const deadLetter = await deadLetterReader(topic);
    const { messaging } = h.process();
    const attempts: number[] = [];
    const consumer = messaging.messageHandler({ topic, groupId: 'billing', maxRetries: 5, retryDelayMs: 10 }, async (_message, ctx) => {
      attempts.push(ctx.attempt);
      throw new UnrecoverableError('order 7 does not exist');
    });
    await consumer.start();
    await messaging.getProducer().send(topic, { order_id: 7 }, { key: 'order-7' });
    const { payload, ctx } = await wait(deadLetter.next, 'the dead letter');
    assert.deepEqual(payload, { order_id: 7 });
    assert.equal(ctx.key, 'order-7');
    assert.equal(ctx.headers[dl.reason], 'unrecoverable');
    assert.equal(ctx.headers[dl.attempts], '1');
    assert.equal(ctx.headers[dl.error], 'order 7 does not exist');
    assert.equal(ctx.headers[dl.errorCode], 'EVENTWIRE_UNRECOVERABLE');
    assert.equal(ctx.headers[dl.group], 'billing');
    await consumer.stop();
    assert.deepEqual(attempts, [1]);
    assert.equal(messaging.stats().retried, 0);
  });

  it('dead-letters malformed JSON at once and keeps consuming', async () => {
    const topic = h.topic('malformed');
    const deadLetter = await deadLetterReader(topic);
    const { messaging, broker } = h.process();
    const good = deferred<unknown>();
    await messaging.createConsumer({ groupId: 'g', topics: topic, handlers: { ok: async (e) => good.resolve(e.data) } }).start();
    await broker.publish(topic, [{ headers: {}, value: Buffer.from('{"name": "ok", oops') }]);
    await messaging.publishEvent('ok', { fine: true }, { topic });
    const { ctx, raw } = await wait(deadLetter.next, 'the dead letter');
    assert.equal(raw, '{"name": "ok", oops');
    assert.equal(ctx.headers[dl.reason], 'malformed');
    assert.equal(ctx.headers[dl.attempts], '1');
    assert.deepEqual(await wait(good.promise, 'the next event'), { fine: true });
  });

  it('rejects unsendable messages with typed errors and keeps the producer working', async () => {
    const topic = h.topic('oversize');
    const { messaging } = h.process({ maxMessageBytes: 1_000 });
    const got = deferred<unknown>();
    await messaging.messageHandler({ topic, groupId: 'g' }, async (m) => got.resolve(m)).start();
    const producer = messaging.getProducer();
    await assert.rejects(producer.send(topic, { blob: 'x'.repeat(2_000) }), (error: unknown) => error instanceof MessageTooLargeError && error.limit === 1_000);
    await assert.rejects(producer.send(topic, { n: 1n }), SerializationError);
    await producer.send(topic, { small: true });
    assert.deepEqual(await wait(got.promise, 'the small message'), { small: true });
  });
}
