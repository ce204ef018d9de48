import { strict as assert } from 'node:assert';
import {
  createMessaging,
  InvalidArgumentError,
  MessageTooLargeError,
  MessagingClosedError,
  PublishError,
  PublishTimeoutError,
  SerializationError,
  silentLogger,
  type Broker,
  type OutgoingMessage,
} from '../../entry/index.js';
import { createEventBuffer } from '../../lib/publishing/event-buffer.js';
import { createStats } from '../../lib/stats.js';
import { createTestMessaging, recordPublished } from '../../entry/testing.js';
import { memoryLogger } from '../support/memory-logger.js';
import { deferred, withTimeout } from '../support/wait.js';

/** A broker whose publishes never complete: the core must not hang on it. */
function silentBroker(): Broker {
  return {
    name: 'silent',
    capabilities: { persistent: false, deliveryCount: false, keyAffinity: false },
    publish: () => new Promise(() => {}),
    subscribe: () => new Promise(() => {}),
    close: async () => {},
  };
}

describe('publishing', () => {
  it('send() rejects bad input with typed errors before touching the broker', async () => {
    const messaging = createTestMessaging({ maxMessageBytes: 100 });
    const producer = messaging.getProducer();
    const argument = (name: string) => (error: unknown) => error instanceof InvalidArgumentError && error.argument === name;
    await assert.rejects(producer.send('bad topic', {}), argument('topic'));
    await assert.rejects(producer.send('t', {}, { key: {} as never }), argument('key'));
    await assert.rejects(producer.send('t', {}, { headers: { n: 1 as never } }), argument('headers'));
    await assert.rejects(producer.send('t', undefined), SerializationError);
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    await assert.rejects(producer.send('t', cycle), (e: unknown) => e instanceof SerializationError && e.code === 'EVENTWIRE_SERIALIZATION');
    await assert.rejects(producer.send('t', 'x'.repeat(200)), (e: unknown) => e instanceof MessageTooLargeError && e.size === 202 && /maxMessageBytes/.test(e.message));
    assert.equal(messaging.stats().published, 0);
    await messaging.close();
  });

  it('refuses a missing topic on an instance’s first send, as it does on any later one', async () => {
    const messaging = createTestMessaging();
    const producer = messaging.getProducer();
    const topicError = (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'topic';
    // JavaScript callers can pass what TypeScript would refuse, e.g. an unset environment variable.
    await assert.rejects(producer.send(undefined as never, {}), topicError);
    await assert.rejects(producer.send(undefined as never, {}), topicError);
    await producer.send('t', {});
    await assert.rejects(producer.send(undefined as never, {}), topicError);
    await assert.rejects(messaging.publishEvent('x', {}, { topic: undefined as never }), (error: unknown) => error instanceof InvalidArgumentError);
    assert.equal(messaging.stats().published, 1);
    await messaging.close();
  });

  it('takes an option given as undefined as left out, in the types too (exactOptionalPropertyTypes callers)', async () => {
    const messaging = createTestMessaging({ defaultTopic: 'fallback' });
    const fromConfig: { key: string | undefined; topic: string | undefined } = { key: undefined, topic: undefined };
    await messaging.getProducer().send('t', {}, { key: fromConfig.key, headers: undefined });
    await messaging.publishEvent('x', {}, { topic: fromConfig.topic, key: fromConfig.key, headers: undefined });
    assert.equal(messaging.stats().published, 2);
    await messaging.close();
  });

  it('checks the testing helpers’ and onPublished’s arguments when called, not at a later publish', async () => {
    const messaging = createTestMessaging({ defaultTopic: 'orders' });
    assert.throws(() => recordPublished({} as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'messaging' && /createTestMessaging\(\)/.test(error.message));
    assert.throws(() => messaging.onPublished('x' as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'listener');
    const recorder = recordPublished(messaging);
    assert.throws(() => recorder.waitForEvent('e', { timeout: 5_000 } as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'timeout' && /Did you mean `timeoutMs`\?/.test(error.message));
    assert.throws(() => recorder.waitForEvent('e', { where: 'x' } as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'where');
    assert.throws(() => recorder.waitForMessage('orders', { timeoutMs: -5 }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'timeoutMs');
    await messaging.publishEvent('order.placed', {});
    assert.equal((await recorder.waitForEvent('order.placed', { timeoutMs: 1_000 })).name, 'order.placed', 'a publish after the refused calls goes through');
    await messaging.close();
  });

  it('refuses misspelled options of send, publishEvent, emitEvent, runConsumers and close, naming the option meant', async () => {
    const messaging = createTestMessaging({ defaultTopic: 'fallback' });
    const typo = (option: string, meant: string) => (error: unknown) =>
      error instanceof InvalidArgumentError && error.argument === option && error.message.includes(`Did you mean \`${meant}\`?`);
    await assert.rejects(messaging.getProducer().send('t', {}, { heders: { a: 'b' } } as never), typo('heders', 'headers'));
    await assert.rejects(messaging.publishEvent('x', {}, { topc: 'orders' } as never), typo('topc', 'topic'));
    assert.throws(() => messaging.emitEvent('x', {}, { keys: 1 } as never), typo('keys', 'key'));
    await assert.rejects(messaging.runConsumers({ topic: ['t'] } as never), typo('topic', 'topics'));
    await assert.rejects(messaging.close({ timeout: 5 } as never), typo('timeout', 'timeoutMs'));
    const topicAsString = (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'options' && error.message.includes('pass { topic: "orders" }');
    await assert.rejects(messaging.publishEvent('x', {}, 'orders' as never), topicAsString);
    assert.throws(() => messaging.emitEvent('x', {}, 'orders' as never), topicAsString);
    assert.equal(messaging.stats().published, 0, 'nothing went to the default topic');
    await messaging.close();
  });

  it('refuses an event whose data JSON would leave out, before the broker, and carries null data', async () => {
    const messaging = createTestMessaging({ defaultTopic: 'users' });
    const recorder = recordPublished(messaging);
    const refused = (error: unknown) => error instanceof SerializationError && /event "user\.deleted".*pass null for an event without data/.test(error.message);
    await assert.rejects(messaging.publishEvent('user.deleted', undefined), refused);
    assert.throws(() => messaging.emitEvent('user.deleted', undefined), refused);
    await assert.rejects(messaging.publishEvent('user.deleted', () => {}), refused);
    assert.equal(messaging.stats().published, 0);
    // null is JSON: the consumer gets the event, not a malformed message.
    const got = deferred<unknown>();
    await messaging.createConsumer({ groupId: 'g', topics: 'users', handlers: { 'user.deleted': (event) => got.resolve(event.data) } }).start();
    await messaging.publishEvent('user.deleted', null);
    assert.equal(await withTimeout(got.promise, 2_000, 'the event with null data'), null);
    assert.equal(recorder.messages.length, 1);
    await messaging.close();
  });

  it('says in a SerializationError what JSON cannot carry, and Dates go as ISO strings', async () => {
    const messaging = createTestMessaging();
    const producer = messaging.getProducer();
    const error = await producer.send('t', { total: 10n }).then(() => undefined, (reason: unknown) => reason);
    assert.ok(error instanceof SerializationError);
    for (const part of ['BigInt', 'circular references', 'undefined, a function or a symbol', 'Dates become ISO strings']) {
      assert.ok(error.message.includes(part), `lacks "${part}": ${error.message}`);
    }
    await assert.rejects(producer.send('t', () => {}), SerializationError);
    const recorder = recordPublished(messaging);
    await producer.send('t', { at: new Date('2026-01-02T03:04:05.000Z') });
    assert.deepEqual(recorder.messages.map((message) => message.payload), [{ at: '2026-01-02T03:04:05.000Z' }]);
    await messaging.close();
  });

  it('send() rejects with PublishTimeoutError when the broker does not answer', async () => {
    const messaging = createMessaging({ broker: silentBroker(), publishTimeoutMs: 50, logger: silentLogger });
    await assert.rejects(messaging.getProducer().send('t', {}), (e: unknown) => e instanceof PublishTimeoutError && e instanceof PublishError && e.topic === 't');
    assert.equal(messaging.stats().publishFailures, 1);
  });

  it('send() rejects with PublishTimeoutError when the adapter gives up first on its timeout signal', async () => {
    // RabbitMQ and Kafka reject with the signal's reason as soon as it fires; found by the
    // connection-cut fault scenario, where a blackholed broker surfaced as a plain PublishError.
    const abortable: Broker = {
      ...silentBroker(),
      publish: (_topic, _messages, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason))),
    };
    const messaging = createMessaging({ broker: abortable, publishTimeoutMs: 50, logger: silentLogger });
    await assert.rejects(messaging.getProducer().send('t', {}), (e: unknown) => e instanceof PublishTimeoutError && e.code === 'EVENTWIRE_PUBLISH_TIMEOUT' && e.topic === 't');
    assert.equal(messaging.stats().publishFailures, 1);
  });

  it('wraps a broker failure in PublishError without leaking credentials', async () => {
    const failing: Broker = { ...silentBroker(), publish: async () => { throw new Error('cannot reach amqp://app:hunter2@mq:5672'); } };
    const messaging = createMessaging({ broker: failing, logger: silentLogger });
    await assert.rejects(messaging.getProducer().send('t', {}), (e: unknown) =>
      e instanceof PublishError && e.code === 'EVENTWIRE_PUBLISH_FAILED' && !e.message.includes('hunter2') && e.message.includes('app:***@'));
  });

  it('publishEvent() wraps data in an envelope and needs a topic', async () => {
    const messaging = createTestMessaging({ source: 'user-service' });
    const recorder = recordPublished(messaging);
    await assert.rejects(messaging.publishEvent('user.created', {}), (e: unknown) => e instanceof InvalidArgumentError && /defaultTopic/.test(e.message));
    await assert.rejects(messaging.publishEvent('', {}, { topic: 't' }), InvalidArgumentError);
    const event = await messaging.publishEvent('user.updated', { id: 1 }, { topic: 'user-events', key: 1 });
    assert.deepEqual(Object.keys(event).sort(), ['data', 'id', 'name', 'source', 'timestamp']);
    assert.deepEqual(recorder.messages[0]?.payload, event);
    assert.equal(recorder.messages[0]?.headers['eventwire-event'], 'user.updated');
    assert.equal(recorder.messages[0]?.headers['eventwire-id'], event.id);
    await messaging.close();
    await assert.rejects(messaging.publishEvent('x', {}, { topic: 't' }), MessagingClosedError);
    await assert.rejects(messaging.getProducer().send('t', {}), MessagingClosedError);
  });

  it('hands the broker the event id on the message: set for events and their dead letters, undefined for send()', async () => {
    const messaging = createTestMessaging({ source: 'user-service' });
    const recorder = recordPublished(messaging);
    const seen: { topic: string; id: string | undefined }[] = [];
    messaging.onPublished((topic, messages) => {
      for (const message of messages) seen.push({ topic, id: message.id });
    });
    const consumer = messaging.messageHandler({ topic: 'orders', groupId: 'billing', maxRetries: 0 }, async () => {
      throw new Error('declined');
    });
    await consumer.start();
    const event = await messaging.publishEvent('order.placed', { id: 1 }, { topic: 'orders' });
    await messaging.getProducer().send('audit', { id: 2 }, { headers: { 'eventwire-id': 'set-by-hand' } });
    await withTimeout(recorder.waitForMessage('orders.dlq'), 2_000, 'the dead letter');
    await consumer.stop();
    assert.deepEqual(seen, [
      { topic: 'orders', id: event.id },
      { topic: 'audit', id: undefined },
      { topic: 'orders.dlq', id: event.id },
    ]);
    await messaging.close();
  });

  it('the recorder’s wait fails with a typed error naming what was published', async () => {
    const messaging = createTestMessaging({ defaultTopic: 'user-events' });
    const recorder = recordPublished(messaging);
    await messaging.publishEvent('user.created', {});
    await assert.rejects(recorder.waitForEvent('user.deleted', { timeoutMs: 20 }), (e: unknown) =>
      e instanceof Error && (e as { code?: string }).code === 'EVENTWIRE_WAIT_TIMEOUT' && /user\.created/.test(e.message));
    await messaging.close();
  });
});

describe('event buffer (fire-and-forget)', () => {
  const message: OutgoingMessage = { headers: {}, value: Buffer.from('{}') };

  it('holds events while the broker is down and publishes them, in order, when it is back', async () => {
    const stats = createStats();
    let up = false;
    const stored: string[] = [];
    const recovered = deferred();
    const buffer = createEventBuffer({
      limit: 100,
      logger: silentLogger,
      stats,
      publish: async (topic, messages) => {
        if (!up) throw new Error('broker down');
        stored.push(...messages.map((m) => `${topic}:${m.value.toString()}`));
        if (stored.length === 3) recovered.resolve();
      },
    });
    for (const n of [1, 2, 3]) buffer.push('t', { headers: {}, value: Buffer.from(String(n)) });
    assert.equal(stats.eventsBuffered, 3);
    up = true;
    await withTimeout(recovered.promise, 2_000, 'the buffered events');
    assert.deepEqual(stored, ['t:1', 't:2', 't:3']);
    assert.equal(await buffer.flush(100), 0);
    assert.equal(stats.eventsBuffered, 0);
  });

  it('after reporting events lost at close, never says that events stay buffered', async () => {
    const logger = memoryLogger();
    const attempt = deferred();
    const buffer = createEventBuffer({
      limit: 100,
      logger,
      stats: createStats(),
      // The broker stops answering, and fails the publish only when the connection is torn down.
      publish: () => attempt.promise,
    });
    for (const n of [1, 2, 3]) buffer.push('t', { headers: {}, value: Buffer.from(String(n)) });
    assert.equal(await buffer.flush(10), 3);
    assert.equal(buffer.abandon().length, 3);
    attempt.reject(new Error('connection closed'));
    // The rejection reaches the buffer within the microtasks of this turn: one turn later it is handled.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const said = logger.lines.map((line) => line.message);
    assert.ok(said.some((message) => message.startsWith('events lost at close')), said.join('\n'));
    assert.ok(!said.some((message) => message.includes('stay buffered')), said.join('\n'));
  });

  it('publishes the events of one event-loop turn as one batch per topic, in order', async () => {
    const batches: string[] = [];
    const broker: Broker = {
      ...silentBroker(),
      publish: async (topic, messages) => void batches.push(`${topic}:${messages.map((m) => (JSON.parse(m.value.toString()) as { data: number }).data).join(',')}`),
    };
    const messaging = createMessaging({ broker, logger: silentLogger });
    for (const n of [1, 2, 3]) messaging.emitEvent('e', n, { topic: 'a' });
    await messaging.close();
    const mixed = createMessaging({ broker, logger: silentLogger });
    for (const [n, topic] of [[4, 'a'], [5, 'b'], [6, 'a']] as const) mixed.emitEvent('e', n, { topic });
    await mixed.close();
    assert.deepEqual(batches, ['a:1,2,3', 'a:4,6', 'b:5']);
  });

  it('refuses and counts events past the limit, and logs it', () => {
    const stats = createStats();
    const logger = memoryLogger();
    const buffer = createEventBuffer({ limit: 2, logger, stats, publish: () => new Promise(() => {}) });
    assert.deepEqual([buffer.push('t', message), buffer.push('t', message), buffer.push('t', message)], [true, true, false]);
    assert.equal(stats.eventsDropped, 1);
    assert.ok(logger.lines.some((l) => l.level === 'error' && /maxBufferedEvents/.test(l.message)));
  });

  it('reports what it could not flush at close', async () => {
    const stats = createStats();
    const logger = memoryLogger();
    const messaging = createMessaging({ broker: silentBroker(), publishTimeoutMs: 20, logger, defaultTopic: 't' });
    messaging.emitEvent('a', {});
    messaging.emitEvent('b', {});
    await messaging.close({ timeoutMs: 50 });
    assert.equal(messaging.stats().eventsDropped, 2);
    assert.ok(logger.lines.some((l) => l.level === 'error' && l.fields?.lost === 2));
    assert.equal(stats.eventsDropped, 0);
  });

  it('close() returns by its deadline when a silent broker never confirms the close, and says so', async () => {
    // Found by the buffer-while-down fault scenario: close({ timeoutMs: 1000 }) took 4 s on a
    // blackholed RabbitMQ or Kafka, the adapters' own bound for a close-ok that never comes.
    const logger = memoryLogger();
    let closeCalled = false;
    const lateAck = deferred();
    const broker: Broker = { ...silentBroker(), publish: () => lateAck.promise, close: () => ((closeCalled = true), new Promise(() => {})) };
    const messaging = createMessaging({ broker, publishTimeoutMs: 10_000, logger, defaultTopic: 't' });
    const reported: string[] = [];
    messaging.onPublished((topic) => reported.push(topic));
    messaging.emitEvent('a', {});
    await withTimeout(messaging.close({ timeoutMs: 50 }), 2_000, 'close() past its deadline');
    assert.equal(closeCalled, true);
    assert.equal(messaging.stats().eventsDropped, 1);
    assert.ok(logger.lines.some((l) => l.level === 'warn' && /did not confirm the close/.test(l.message)));
    // The broker answers after all: close() already reported the event as dropped, so no listener
    // hears of it (found by the buffer-while-down fault scenario on Kafka).
    lateAck.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(reported, []);
  });

  it('close() waits for the broker connection to close when everything was flushed', async () => {
    const closeCalled = deferred();
    const connectionClosed = deferred();
    const broker: Broker = {
      ...silentBroker(),
      publish: async () => {},
      close: () => (closeCalled.resolve(), connectionClosed.promise),
    };
    const messaging = createMessaging({ broker, logger: silentLogger, defaultTopic: 't' });
    messaging.emitEvent('a', {});
    let settled = false;
    const closing = messaging.close({ timeoutMs: 1_000 }).then(() => (settled = true));
    await withTimeout(closeCalled.promise, 2_000, 'the broker close');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(settled, false, 'close() resolved before the connection closed');
    connectionClosed.resolve();
    await withTimeout(closing, 2_000, 'close() after the connection closed');
    assert.equal(messaging.stats().eventsDropped, 0);
  });
});
