import { strict as assert } from 'node:assert';
import { z } from 'zod';
import {
  configureMessaging,
  createConsumer,
  InvalidArgumentError,
  messageHandler,
  resetMessaging,
  runConsumers,
  withSchema,
  type MessageContext,
} from '../../entry/index.js';
import { createTestMessaging, recordPublished } from '../../entry/testing.js';
import { memoryLogger } from '../support/memory-logger.js';
import { deferred, withTimeout } from '../support/wait.js';

const invalid = (argument: string, pattern?: RegExp) => (error: unknown) =>
  error instanceof InvalidArgumentError && error.argument === argument && (pattern?.test(error.message) ?? true);

describe('consumer options', () => {
  const messaging = createTestMessaging();
  after(() => messaging.close());
  const fn = async function handle() {};

  it('rejects bad createConsumer options with the option’s name', () => {
    const base = { groupId: 'g', topics: ['t'], handlers: {} };
    assert.throws(() => messaging.createConsumer({ ...base, groupId: '' }), invalid('groupId'));
    assert.throws(() => messaging.createConsumer({ ...base, topics: [] }), invalid('topics'));
    assert.throws(() => messaging.createConsumer({ ...base, topics: ['ok', 'no way'] }), invalid('topics[1]'));
    assert.throws(() => messaging.createConsumer({ ...base, maxRetries: -1 }), invalid('maxRetries', /Expected `maxRetries` to be a non-negative integer, got -1\./));
    assert.throws(() => messaging.createConsumer({ ...base, retryDelayMs: 1.5 }), invalid('retryDelayMs'));
    assert.throws(() => messaging.createConsumer({ ...base, concurrency: 0 }), invalid('concurrency'));
    assert.throws(() => messaging.createConsumer({ ...base, autoStart: 'yes' as never }), invalid('autoStart'));
    assert.throws(() => messaging.createConsumer({ ...base, deadLetterTopic: 'x y' }), invalid('deadLetterTopic'));
    assert.throws(() => messaging.createConsumer({ ...base, context: {} as never }), invalid('context'));
    assert.throws(() => messaging.createConsumer({ ...base, handlers: { a: 1 as never } }), invalid('handlers.a', /withSchema/));
    // A { schema, handle } pair with one part wrong names that part.
    assert.throws(() => messaging.createConsumer({ ...base, handlers: { a: { schema: {}, handle: fn } as never } }), invalid('handlers.a.schema', /`handlers\["a"\]\.schema` to be a zod schema/));
    assert.throws(() => messaging.createConsumer({ ...base, handlers: { a: { schema: z.string(), handle: 'x' } as never } }), invalid('handlers.a.handle', /a function/));
    assert.throws(() => messaging.createConsumer({ ...base, group: 'x' } as never), invalid('group', /Unknown option `group`/));
    assert.throws(() => messaging.createConsumer({ ...base, retryDelayMs: 2 ** 31 }), invalid('retryDelayMs', /at most 2147483647 ms \(the longest timer Node\.js keeps\), got 2147483648/));
  });

  it('refuses a dead-letter topic the consumer itself reads: each dead letter would loop back', () => {
    const loop = invalid('deadLetterTopic', /a topic this consumer does not read, got "t".*in a loop/);
    assert.throws(() => messaging.createConsumer({ groupId: 'g', topics: ['s', 't'], handlers: {}, deadLetterTopic: 't' }), loop);
    assert.throws(() => messaging.messageHandler({ topic: 't', deadLetterTopic: 't' }, fn), loop);
    assert.equal(messaging.createConsumer({ groupId: 'g', topics: ['s'], handlers: {}, deadLetterTopic: 't' }).topics[0], 's');
  });

  it('refuses handlers that are not a plain object: a Map or a class instance would skip every event', () => {
    class Handlers {
      'user.created'(): void {}
    }
    const base = { groupId: 'g', topics: ['t'] };
    assert.throws(() => messaging.createConsumer({ ...base, handlers: new Handlers() as never }), invalid('handlers', /got an instance of Handlers \(its methods are on the prototype/));
    assert.throws(() => messaging.createConsumer({ ...base, handlers: new Map([['user.created', fn]]) as never }), invalid('handlers', /got a Map \(pass Object\.fromEntries\(map\)\)/));
    assert.equal(messaging.createConsumer({ ...base, handlers: Object.assign(Object.create(null) as object, { 'user.created': fn }) }).groupId, 'g');
  });

  it('checks withSchema’s arguments when it is called, naming the one that is wrong', () => {
    assert.throws(() => withSchema({} as never, fn), invalid('schema', /the first argument of withSchema to be a zod schema.*got a value of type object/));
    assert.throws(() => withSchema(z.string(), undefined as never), invalid('handle', /Expected `handle` to be a function, got undefined/));
    assert.equal(withSchema(z.string(), fn).handle, fn);
  });

  it('rejects bad messageHandler options with the option’s name', () => {
    // Both mistakes fail to compile too (MessageHandlerTopics): the checks are for JavaScript callers.
    // @ts-expect-error -- neither topic nor topics
    assert.throws(() => messaging.messageHandler({}, fn), invalid('topic', /exactly one of `topic` or `topics`/));
    // @ts-expect-error -- both topic and topics
    assert.throws(() => messaging.messageHandler({ topic: 'a', topics: ['b'] }, fn), invalid('topic'));
    assert.throws(() => messaging.messageHandler({ topic: 'a', schema: { parse() {} } as never }, fn), invalid('schema', /zod/));
    assert.throws(() => messaging.messageHandler({ topic: 'a' }, 'nope' as never), invalid('handler'));
    assert.throws(() => messaging.messageHandler({ topic: 'a' }, async () => {}), invalid('groupId', /anonymous/));
    assert.equal(messaging.messageHandler({ topic: 'a' }, fn).groupId, 'test.handle');
  });
});

describe('runConsumers', () => {
  afterEach(() => resetMessaging());

  it('runs module-level registrations made before configuration', async () => {
    const got = deferred<unknown>();
    messageHandler({ topic: 'orders.created' }, async function onOrder(message) {
      got.resolve(message);
    });
    const messaging = configureMessaging({ broker: 'memory', source: 'shop' });
    const running = await runConsumers();
    assert.deepEqual(running.consumers.map((c) => c.groupId), ['shop.onOrder']);
    await messaging.getProducer().send('orders.created', { order_id: 1 });
    assert.deepEqual(await withTimeout(got.promise, 2_000, 'the message'), { order_id: 1 });
    await running.stop();
  });

  it('takes handling options given as undefined as left out, in the types too', async () => {
    const got = deferred<unknown>();
    const retries: number | undefined = undefined;
    messageHandler(
      { topic: 'orders.created', groupId: undefined, maxRetries: retries, retryDelayMs: undefined, backoff: undefined, jitter: undefined, middleware: undefined, deadLetterTopic: undefined, concurrency: undefined, autoStart: undefined },
      async function onOrder(message) {
        got.resolve(message);
      },
    );
    const messaging = configureMessaging({ broker: 'memory', source: 'shop' });
    const running = await runConsumers();
    assert.deepEqual(running.consumers.map((c) => c.groupId), ['shop.onOrder']);
    await messaging.getProducer().send('orders.created', { order_id: 2 });
    assert.deepEqual(await withTimeout(got.promise, 2_000, 'the message'), { order_id: 2 });
    await running.stop();
  });

  it('warns once a group is named after a source nobody configured, and not when source is set', async () => {
    const derived = /The consumer group "(.+)" is named after `source` \("(.+)"\), which was not configured.*Set `source` \(or MESSAGING_SOURCE\), or give the handler a `groupId`/;
    const saved = process.env.MESSAGING_SOURCE;
    delete process.env.MESSAGING_SOURCE;
    try {
      for (const source of [undefined, 'shop']) {
        const logger = memoryLogger();
        messageHandler({ topic: 'orders.created' }, async function onOrder() {});
        messageHandler({ topic: 'orders.created', groupId: 'billing' }, async function onBilled() {});
        configureMessaging({ broker: 'memory', logger, ...(source === undefined ? {} : { source }) });
        const running = await runConsumers();
        const warned = logger.lines.filter((line) => line.level === 'warn' && derived.test(line.message));
        if (source === 'shop') assert.deepEqual(warned, []);
        else {
          assert.equal(warned.length, 1, 'only the group named after source');
          assert.equal(warned[0]?.fields?.groupId, running.consumers.find((consumer) => consumer.groupId !== 'billing')?.groupId);
        }
        await running.stop();
        await resetMessaging();
      }
    } finally {
      if (saved !== undefined) process.env.MESSAGING_SOURCE = saved;
    }
  });

  it('filters by topic and fails on unknown topics or nothing to run', async () => {
    createConsumer({ groupId: 'a', topics: ['one', 'two'], handlers: {} });
    createConsumer({ groupId: 'b', topics: ['three'], handlers: {}, autoStart: false });
    configureMessaging({ broker: 'memory' });
    await assert.rejects(runConsumers({ topics: ['three'] }), invalid('topics', /Registered topics: one, two/));
    const running = await runConsumers({ topics: ['two'] });
    assert.deepEqual(running.consumers[0]?.topics, ['one', 'two']);
    assert.equal(running.consumers.length, 1);
    await running.stop();
    await resetMessaging();
    configureMessaging({ broker: 'memory' });
    await assert.rejects(runConsumers(), invalid('consumers', /No consumers to run/));
  });

  it('warns about a consumer registered after runConsumers(), which a second runConsumers() starts', async () => {
    const late = /registered after runConsumers\(\) ran, so it is not running/;
    const logger = memoryLogger();
    const warned = () => logger.lines.filter((line) => line.level === 'warn' && late.test(line.message));
    messageHandler({ topic: 'early' }, async function onEarly() {});
    const messaging = configureMessaging({ broker: 'memory', source: 'shop', logger });
    const first = await runConsumers();
    const got = deferred<unknown>();
    messageHandler({ topic: 'late', autoStart: false }, async function onManual() {});
    assert.deepEqual(warned(), [], 'autoStart: false is started by hand, so it is not warned about');
    messageHandler({ topic: 'late' }, async function onLate(message) {
      got.resolve(message);
    });
    assert.equal(warned().length, 1);
    assert.deepEqual(warned()[0]?.fields?.topics, ['late']);
    const second = await runConsumers();
    assert.deepEqual(second.consumers.map((c) => c.groupId), ['shop.onEarly', 'shop.onLate']);
    await messaging.getProducer().send('late', { n: 1 });
    assert.deepEqual(await withTimeout(got.promise, 2_000, 'the late consumer’s message'), { n: 1 });
    await first.stop();
    messageHandler({ topic: 'later' }, async function onLater() {});
    assert.equal(warned().length, 2, 'the second run still goes');
    await second.stop();
    messageHandler({ topic: 'after' }, async function onAfterStop() {});
    assert.equal(warned().length, 2, 'nothing runs once both runs stopped: registering is the way to prepare the next run');
    await runConsumers();
    await resetMessaging();
    configureMessaging({ broker: 'memory', logger });
    messageHandler({ topic: 'late' }, async function onAfterReset() {});
    assert.equal(warned().length, 2, 'resetMessaging() forgets the run it closed');
  });

  it('warns the same way on an instance of its own', async () => {
    const logger = memoryLogger();
    const messaging = createTestMessaging({ logger });
    messaging.messageHandler({ topic: 'early' }, async function onEarly() {});
    const running = await messaging.runConsumers();
    messaging.createConsumer({ groupId: 'late', topics: ['late'], handlers: {} });
    assert.equal(logger.lines.filter((line) => line.level === 'warn' && /registered after runConsumers\(\)/.test(line.message)).length, 1);
    await running.stop();
    await messaging.close();
  });

  it('says where a derived group id came from when it is not a valid one (a scoped package name as source)', async () => {
    const messaging = createTestMessaging({ source: '@acme/orders' });
    messaging.messageHandler({ topic: 'orders' }, async function handle() {});
    await assert.rejects(messaging.runConsumers(), invalid('groupId', /"handle" has no `groupId`, and the one made from `source` and its name, "@acme\/orders\.handle", is not a valid group id.*Pass a `groupId`, or set `source`/));
    await messaging.close();
  });

  it('refuses two consumers sharing a group on one topic', async () => {
    messageHandler({ topic: 't', groupId: 'same' }, async function first() {});
    messageHandler({ topic: 't', groupId: 'same' }, async function second() {});
    configureMessaging({ broker: 'memory' });
    await assert.rejects(runConsumers(), invalid('groupId', /split its messages/));
  });
});

describe('messageHandler schema on an event', () => {
  it('says, in the dead letter\'s error, that the body is an event envelope and how to check its data', async () => {
    const messaging = createTestMessaging({ defaultTopic: 'users' });
    const recorder = recordPublished(messaging);
    const User = z.object({ email: z.string() });
    await messaging.messageHandler({ topic: 'users', groupId: 'g', schema: User }, async () => {}).start();
    await messaging.publishEvent('user.created', { email: 'ana@example.com' });
    await messaging.getProducer().send('users', { nope: 1 });
    const event = await recorder.waitForMessage('users.dlq', { where: (m) => m.event?.name === 'user.created' });
    const plain = await recorder.waitForMessage('users.dlq', { where: (m) => m.event === undefined });
    assert.match(event.headers['eventwire-error'] ?? '', /does not match its schema: .*The message is the event "user\.created" in eventwire's envelope.*createConsumer's handlers/);
    assert.match(plain.headers['eventwire-error'] ?? '', /does not match its schema/);
    assert.doesNotMatch(plain.headers['eventwire-error'] ?? '', /envelope/, 'a plain payload gets no hint');
    await messaging.close();
    const structured = createTestMessaging({ defaultTopic: 'users', envelope: 'cloudevents', cloudEventsMode: 'structured' });
    const seen = recordPublished(structured);
    await structured.messageHandler({ topic: 'users', groupId: 'g', schema: User }, async () => {}).start();
    await structured.publishEvent('user.created', { email: 'ana@example.com' });
    const dead = await seen.waitForMessage('users.dlq');
    assert.match(dead.headers['eventwire-error'] ?? '', /The message is a structured CloudEvent, and messageHandler's schema checks the whole body/);
    await structured.close();
  });
});

describe('handler context', () => {
  it('merges the context factory into ctx, per attempt, and disposes it', async () => {
    const messaging = createTestMessaging({ defaultTopic: 'user-events' });
    const sessions: string[] = [];
    const done = deferred<MessageContext<{ db: string }>>();
    await messaging
      .createConsumer({
        groupId: 'g',
        topics: 'user-events',
        maxRetries: 1,
        retryDelayMs: 1,
        context: (info) => ({
          db: `session-${info.attempt}`,
          async [Symbol.asyncDispose]() {
            sessions.push(`closed ${info.attempt}`);
          },
        }),
        handlers: {
          'user.created': withSchema(z.object({ id: z.number() }), async (event, ctx: MessageContext<{ db: string }>) => {
            sessions.push(`used ${ctx.db} for ${event.data.id}`);
            if (ctx.attempt === 1) throw new Error('first attempt fails');
            done.resolve(ctx);
          }),
        },
      })
      .start();
    await messaging.publishEvent('user.created', { id: 5 });
    const ctx = await withTimeout(done.promise, 2_000, 'the second attempt');
    assert.equal(ctx.db, 'session-2');
    assert.deepEqual(sessions, ['used session-1 for 5', 'closed 1', 'used session-2 for 5', 'closed 2']);
    await messaging.close();
  });

  // A type test: `npm run typecheck` fails if an @ts-expect-error below stops being an error. At
  // run time nothing can tell what type a handler gave its ctx, so these calls register.
  it('does not compile a handler typed for a context no factory provides', async () => {
    const messaging = createTestMessaging();
    type Db = { db: string };
    const onOrder = async function onOrder(_payload: unknown, ctx: MessageContext<Db>) {
      return ctx.db;
    };
    const onEvent = async (_event: unknown, ctx: MessageContext<Db>) => ctx.db;
    // @ts-expect-error -- ctx.db asked for, no `context` given
    messaging.messageHandler({ topic: 'orders', groupId: 'a' }, onOrder);
    // @ts-expect-error -- the same for createConsumer's handlers
    messaging.createConsumer({ groupId: 'b', topics: 't', handlers: { e: onEvent } });
    // With the factory, both compile; without a ctx type, no factory is needed.
    messaging.messageHandler({ topic: 'orders', groupId: 'c', context: () => ({ db: 'pool' }) }, onOrder);
    messaging.createConsumer({ groupId: 'd', topics: 't', context: () => ({ db: 'pool' }), handlers: { e: onEvent } });
    messaging.messageHandler({ topic: 'orders' }, async function plain(_payload, ctx) {
      return ctx.topic;
    });
    assert.equal(messaging.consumers().length, 5);
    await messaging.close();
  });

  it('dead-letters when the context factory returns a reserved name', async () => {
    const messaging = createTestMessaging({ defaultTopic: 't' });
    const deadLettered = deferred();
    messaging.onPublished((topic) => topic === 't.dlq' && deadLettered.resolve());
    await messaging
      .createConsumer({ groupId: 'g', topics: 't', maxRetries: 0, context: () => ({ topic: 'x' }), handlers: { e: async () => {} } })
      .start();
    await messaging.publishEvent('e', {});
    await withTimeout(deadLettered.promise, 2_000, 'the dead letter');
    await messaging.close();
  });
});
