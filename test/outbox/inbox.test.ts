import { strict as assert } from 'node:assert';
import { type Redis } from 'ioredis';
import { createTestMessaging } from '../../entry/testing.js';
import { createEvent } from '../../lib/envelope/event.js';
import { InvalidArgumentError, type Consumer, type Messaging } from '../../entry/index.js';
import { createOutbox, createRedisInbox, type Inbox, type Outbox } from '../../outbox/index.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { requireBroker } from '../support/require-broker.js';
import { redisScratch } from '../support/redis-scratch.js';
import { withTimeout } from '../support/wait.js';

const WAIT = 10_000;

describe('inbox: idempotent consumers', () => {
  let db: TestSchema;
  let effects: string;
  let outbox: Outbox;
  let messaging: Messaging;
  const consumers: Consumer[] = [];

  before(async function () {
    await requireBroker(this, 'postgres');
    db = await createTestSchema('inbox');
    effects = `${db.schema}.effects`;
    outbox = createOutbox({ pool: db.pool, table: `${db.schema}.outbox` });
    await outbox.migrate();
    await db.pool.query(`CREATE TABLE ${effects} (event_id text NOT NULL, attempt integer NOT NULL)`);
  });

  beforeEach(() => {
    messaging = createTestMessaging();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await messaging.close();
    await db.pool.query(`DELETE FROM ${effects}; DELETE FROM ${db.schema}.outbox_inbox`);
  });

  after(async () => {
    await db?.drop();
  });

  const rows = async (): Promise<{ event_id: string; attempt: number }[]> => db.rows(`SELECT event_id, attempt FROM ${effects}`);
  /** Sends one event twice, as a broker redelivery would: same envelope, same id. */
  const sendTwice = async (id: number): Promise<string> => {
    const event = createEvent('order.placed', { id }, 'test');
    await messaging.getProducer().send('orders', event);
    await messaging.getProducer().send('orders', event);
    return event.id;
  };
  const settled = (inbox: Inbox<object>, total: number): Promise<void> =>
    withTimeout(waitFor(() => inbox.stats().handled + inbox.stats().duplicates >= total), WAIT, `${total} deliveries to settle`);

  it('PostgreSQL: the same event delivered twice writes its effect once, in the transaction of the inbox mark', async () => {
    const inbox = outbox.inbox();
    const consumer = messaging.messageHandler(
      { topic: 'orders', groupId: 'billing', middleware: [inbox.middleware], context: inbox.context, retryDelayMs: 1 },
      async (order, ctx) => {
        // messageHandler hands over the raw JSON: here eventwire's envelope, whose id is the event's.
        await ctx.db.query(`INSERT INTO ${effects} (event_id, attempt) VALUES ($1, $2)`, [(order as { id: string }).id, ctx.attempt]);
        // The first attempt fails after writing: its write must roll back with its inbox mark.
        if (ctx.attempt === 1) throw new Error('transient');
      },
    );
    consumers.push(consumer);
    await consumer.start();
    const id = await sendTwice(1);
    await settled(inbox, 2);
    assert.deepEqual(await rows(), [{ event_id: id, attempt: 2 }], 'one effect, from the attempt that committed');
    assert.deepEqual(inbox.stats(), { handled: 1, duplicates: 1 });
    const marks = await db.rows<{ group_id: string; event_id: string }>(`SELECT group_id, event_id FROM ${db.schema}.outbox_inbox`);
    assert.deepEqual(marks, [{ group_id: 'billing', event_id: id }]);
  });

  it('PostgreSQL: each consumer group handles the event once of its own', async () => {
    const inboxes = [outbox.inbox(), outbox.inbox()];
    for (const [index, inbox] of inboxes.entries()) {
      const consumer = messaging.messageHandler(
        { topic: 'orders', groupId: `group-${index}`, middleware: [inbox.middleware], context: inbox.context },
        async (_order, ctx) => {
          await ctx.db.query(`INSERT INTO ${effects} (event_id, attempt) VALUES ($1, $2)`, [ctx.groupId, ctx.attempt]);
        },
      );
      consumers.push(consumer);
      await consumer.start();
    }
    await sendTwice(2);
    await Promise.all(inboxes.map((inbox) => settled(inbox, 2)));
    assert.deepEqual((await rows()).map((row) => row.event_id).sort(), ['group-0', 'group-1']);
  });

  it('refuses its context without its middleware, by option name', async () => {
    assert.throws(() => outbox.inbox().context({} as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'context');
  });

  describe('Redis', () => {
    const scratch = redisScratch('inbox');
    const { prefix } = scratch;
    let redis: Redis;
    beforeEach(() => {
      redis = scratch.redis();
    });

    it('SET NX: the same event delivered twice runs the handler once; a failed attempt clears the mark for its retry', async () => {
      const inbox = createRedisInbox({ redis, prefix, retentionMs: 60_000 });
      const calls: number[] = [];
      const consumer = messaging.messageHandler({ topic: 'orders', groupId: 'mailer', middleware: [inbox.middleware], retryDelayMs: 1 }, async (_order, ctx) => {
        calls.push(ctx.attempt);
        if (ctx.attempt === 1) throw new Error('transient');
      });
      consumers.push(consumer);
      await consumer.start();
      const id = await sendTwice(3);
      await settled(inbox, 2);
      assert.deepEqual(calls, [1, 2], 'the retry ran after the failure, the duplicate never');
      assert.deepEqual(inbox.stats(), { handled: 1, duplicates: 1 });
      const ttl = await redis.pttl(`${prefix}mailer:${id}`);
      assert.ok(ttl > 0 && ttl <= 60_000, `the mark expires after retentionMs (pttl ${ttl})`);
    });

    it('refuses bad options by name', () => {
      assert.throws(() => createRedisInbox({ redis: {} as never }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'redis');
      assert.throws(() => createRedisInbox({ redis, retentionMs: 0 }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'retentionMs');
      assert.throws(() => createRedisInbox({ redis, ttlSeconds: 60 } as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'ttlSeconds' && error.message.includes('retentionMs'));
    });
  });
});

/** Polls `check` until it holds, giving up after WAIT (withTimeout reports the failure). */
async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}
