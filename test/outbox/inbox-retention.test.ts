import { strict as assert } from 'node:assert';
import { type Redis } from 'ioredis';
import { createTestMessaging } from '../../entry/testing.js';
import { createEvent, type Event } from '../../lib/envelope/event.js';
import { InvalidArgumentError, type Consumer, type Messaging } from '../../entry/index.js';
import { createOutbox, createRedisInbox, type Inbox, type Outbox } from '../../outbox/index.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { requireBroker } from '../support/require-broker.js';
import { redisScratch } from '../support/redis-scratch.js';
import { withTimeout } from '../support/wait.js';

const WAIT = 10_000;
const day = 24 * 60 * 60 * 1000;

/** Polls `check` until it holds, giving up after WAIT (withTimeout reports the failure). */
async function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT;
  while (!(await check()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('inbox retention', () => {
  let messaging: Messaging;
  const consumers: Consumer[] = [];

  beforeEach(() => {
    messaging = createTestMessaging();
  });

  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await messaging.close();
  });

  /** Starts a consumer of `orders` in group `billing` through `inbox` (and its context: PostgreSQL), recording the ids handled. */
  const consume = async (inbox: Inbox<object>, handled: string[], withContext = false): Promise<void> => {
    const context = withContext ? { context: inbox.context } : {};
    const consumer = messaging.messageHandler({ topic: 'orders', groupId: 'billing', concurrency: 1, middleware: [inbox.middleware], ...context }, (event) => {
      handled.push((event as Event).id);
    });
    consumers.push(consumer);
    await consumer.start();
  };
  const settled = (inbox: Inbox<object>, total: number): Promise<void> =>
    withTimeout(waitFor(() => inbox.stats().handled + inbox.stats().duplicates >= total), WAIT, `${total} deliveries to settle`);

  describe('PostgreSQL', () => {
    let db: TestSchema;
    let outbox: Outbox;
    let marks: string;

    before(async function () {
      await requireBroker(this, 'postgres');
      db = await createTestSchema('inbox_retention');
      outbox = createOutbox({ pool: db.pool, table: `${db.schema}.outbox` });
      await outbox.migrate();
      marks = `${db.schema}.outbox_inbox`;
    });

    afterEach(async () => {
      await db?.pool.query(`DELETE FROM ${marks}`);
    });

    after(async () => {
      await db?.drop();
    });

    /** Inserts a mark for each id, handled `ageMs` ago. */
    const mark = async (ids: readonly string[], ageMs: number): Promise<void> => {
      await db.pool.query(
        `INSERT INTO ${marks} (group_id, event_id, handled_at) SELECT 'billing', id, now() - $2::bigint * interval '1 millisecond' FROM unnest($1::text[]) AS id`,
        [ids, ageMs],
      );
    };
    const remaining = async (): Promise<string[]> => (await db.rows<{ event_id: string }>(`SELECT event_id FROM ${marks} ORDER BY event_id`)).map((row) => row.event_id);
    const ids = (prefix: string, count: number): string[] => Array.from({ length: count }, (_, index) => `${prefix}-${index}`);

    it('prune() deletes the marks older than retentionMs, in batches, and keeps the recent ones', async () => {
      await mark(ids('old', 5), 8 * day);
      await mark(ids('recent', 2), 6 * day);
      const inbox = outbox.inbox({ pruneBatchSize: 2 });
      assert.equal(await inbox.prune(), 5, 'three batches of at most two rows');
      assert.deepEqual(await remaining(), ids('recent', 2), 'marks within the default 7 days stay');
      assert.equal(await inbox.prune(), 0);
    });

    it('prune() honours a shorter retentionMs', async () => {
      await mark(['two-hours'], 2 * 60 * 60 * 1000);
      await mark(['now'], 0);
      assert.equal(await outbox.inbox({ retentionMs: 60 * 60 * 1000 }).prune(), 1);
      assert.deepEqual(await remaining(), ['now']);
    });

    it('a delivery prunes the expired marks by itself; a duplicate within the retention is still skipped', async () => {
      await mark(ids('old', 3), 8 * day);
      const duplicate = createEvent('order.placed', { id: 1 }, 'test');
      await mark([duplicate.id], 6 * day);
      const inbox = outbox.inbox();
      const handled: string[] = [];
      await consume(inbox, handled, true);
      const fresh = createEvent('order.placed', { id: 2 }, 'test');
      await messaging.getProducer().send('orders', duplicate);
      await messaging.getProducer().send('orders', fresh);
      await settled(inbox, 2);
      assert.deepEqual(handled, [fresh.id], 'the duplicate marked 6 days ago was not handled again');
      assert.deepEqual(inbox.stats(), { handled: 1, duplicates: 1 });
      await withTimeout(waitFor(async () => (await remaining()).every((id) => !id.startsWith('old-'))), WAIT, 'the expired marks to be pruned');
      assert.deepEqual(await remaining(), [duplicate.id, fresh.id].sort());
    });

    it('pruneIntervalMs: 0 leaves pruning to prune()', async () => {
      await mark(ids('old', 2), 8 * day);
      const inbox = outbox.inbox({ pruneIntervalMs: 0 });
      const handled: string[] = [];
      await consume(inbox, handled, true);
      const first = createEvent('order.placed', { id: 3 }, 'test');
      const second = createEvent('order.placed', { id: 4 }, 'test');
      await messaging.getProducer().send('orders', first);
      await messaging.getProducer().send('orders', second);
      // concurrency 1: the first delivery, pruning included, ended before the second was handled.
      await settled(inbox, 2);
      assert.deepEqual(await remaining(), [...ids('old', 2), first.id, second.id].sort());
      assert.equal(await inbox.prune(), 2);
    });

    it('refuses bad options by name', () => {
      const refuses = (options: unknown, argument: string): void => {
        assert.throws(() => outbox.inbox(options as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument && error.message.includes(`\`${argument}\``), argument);
      };
      refuses({ retentionMs: 0 }, 'retentionMs');
      refuses({ retentionMs: 1.5 }, 'retentionMs');
      refuses({ retentionMs: '7d' }, 'retentionMs');
      refuses({ retentionMs: 11 * 365 * day }, 'retentionMs');
      refuses({ pruneIntervalMs: -1 }, 'pruneIntervalMs');
      refuses({ pruneBatchSize: 0 }, 'pruneBatchSize');
      refuses({ retention: day }, 'retention');
      refuses(null, 'inbox options');
    });
  });

  describe('Redis', () => {
    const scratch = redisScratch('retention');
    const { prefix } = scratch;
    let redis: Redis;
    beforeEach(() => {
      redis = scratch.redis();
    });

    it('a mark expires after retentionMs: a duplicate within it is skipped, one after it is handled again', async () => {
      const inbox = createRedisInbox({ redis, prefix, retentionMs: 300 });
      const handled: string[] = [];
      await consume(inbox, handled);
      const event = createEvent('order.placed', { id: 5 }, 'test');
      await messaging.getProducer().send('orders', event);
      await messaging.getProducer().send('orders', event);
      await settled(inbox, 2);
      assert.deepEqual(inbox.stats(), { handled: 1, duplicates: 1 }, 'deduplicated within the retention');
      const key = `${prefix}billing:${event.id}`;
      const ttl = await redis.pttl(key);
      assert.ok(ttl > 0 && ttl <= 300, `the mark's expiry is retentionMs (pttl ${ttl})`);
      await withTimeout(waitFor(async () => (await redis.exists(key)) === 0), WAIT, 'the mark to expire');
      await messaging.getProducer().send('orders', event);
      await settled(inbox, 3);
      assert.deepEqual(handled, [event.id, event.id], 'handled again once forgotten');
    });

    it('defaults to the same retention as the PostgreSQL inbox: 7 days', async () => {
      const inbox = createRedisInbox({ redis, prefix });
      await consume(inbox, []);
      const event = createEvent('order.placed', { id: 6 }, 'test');
      await messaging.getProducer().send('orders', event);
      await settled(inbox, 1);
      const ttl = await redis.pttl(`${prefix}billing:${event.id}`);
      assert.ok(ttl > 7 * day - 60_000 && ttl <= 7 * day, `pttl ${ttl}`);
    });
  });
});
