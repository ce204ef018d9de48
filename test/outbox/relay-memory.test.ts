import { strict as assert } from 'node:assert';
import pg from 'pg';
import { brokers } from '../support/require-broker.js';
import { createTestMessaging, createMemoryServer, createMemoryBroker } from '../../entry/testing.js';
import { createMessaging, silentLogger, type Event, type Messaging } from '../../entry/index.js';
import { createOutbox, type Outbox, type OutboxPool, type Relay } from '../../outbox/index.js';
import { recordPublished } from '../../lib/testing.js';
import { inTransaction, type TestSchema } from '../support/postgres.js';
import { outboxTestBed } from '../support/outbox-bed.js';
import { collector, deferred, withTimeout } from '../support/wait.js';

const WAIT = 10_000;

describe('outbox relay (PostgreSQL, memory broker)', () => {
  const bed = outboxTestBed('outbox');
  const { relays, instances } = bed;
  let db: TestSchema;
  let table: string;
  let outbox: Outbox;

  before(async () => {
    ({ db, table } = bed);
    outbox = createOutbox({ pool: db.pool, table, source: 'orders-service' });
    await outbox.migrate();
  });

  afterEach(async () => {
    await db?.pool.query(`DELETE FROM ${table}; DELETE FROM ${table}_failed`);
  });

  const messaging = (options: Parameters<typeof createTestMessaging>[0] = {}): Messaging => {
    const instance = createTestMessaging(options);
    instances.push(instance);
    return instance;
  };
  const start = (relay: Relay): Relay => {
    relays.push(relay);
    return relay;
  };
  const pending = async (): Promise<number> => Number((await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

  it('migrates idempotently, also twice at once, into the columns Debezium reads', async () => {
    await Promise.all([outbox.migrate(), outbox.migrate()]);
    const columns = await db.rows<{ column_name: string; data_type: string }>(
      'SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [db.schema, 'outbox'],
    );
    const types = Object.fromEntries(columns.map((column) => [column.column_name, column.data_type]));
    assert.equal(types.id, 'uuid');
    assert.equal(types.payload, 'jsonb');
    assert.equal(types.headers, 'jsonb');
    for (const name of ['aggregatetype', 'aggregateid', 'type', 'topic', 'key', 'created_at', 'attempts', 'last_error']) assert.ok(name in types, name);
  });

  it('publishes nothing of a rolled-back transaction, and a committed event once, as publishEvent would', async () => {
    await assert.rejects(
      inTransaction(db.pool, async (client) => {
        await outbox.stage(client, 'order.placed', { id: 1 }, { topic: 'orders', key: 1 });
        throw new Error('the route failed');
      }),
      /the route failed/,
    );
    const staged = await inTransaction(db.pool, (client) => outbox.stage(client, 'order.placed', { id: 2, lines: [{ sku: 'a', qty: 2 }] }, { topic: 'orders', key: 2, headers: { tenant: 'acme' } }));
    const instance = messaging();
    const recorder = recordPublished(instance);
    start(outbox.startRelay({ messaging: instance }));
    const event = await recorder.waitForEvent('order.placed', { timeoutMs: WAIT });
    assert.deepEqual(event, staged, 'the envelope stage() returned, as published');
    assert.deepEqual(Object.keys(event), ['id', 'name', 'data', 'timestamp', 'source'], 'the envelope fields in publishEvent order');
    assert.equal(event.source, 'orders-service');
    const [message] = recorder.messages;
    assert.equal(message?.key, '2');
    assert.deepEqual(message?.headers, { tenant: 'acme', 'eventwire-event': 'order.placed', 'eventwire-id': staged.id });
    await withTimeout(waitFor(async () => (await pending()) === 0), WAIT, 'the published row to be deleted');
    assert.equal(recorder.events.length, 1, 'the rolled-back event was never published, the committed one once');
  });

  it("commits its batches without waiting for the disk (synchronous_commit off), for its own transactions only", async () => {
    const atCommit: string[] = [];
    const setting = async (client: { query: (text: string) => Promise<{ rows: unknown[] }> }): Promise<string> =>
      ((await client.query('SHOW synchronous_commit')).rows[0] as { synchronous_commit: string }).synchronous_commit;
    // A pool of its own, as large as the relay needs (its LISTEN connection and one batch's), so
    // that the connections it returns are the ones checked afterwards.
    const single = new pg.Pool({ connectionString: brokers.postgres.url, max: 2 });
    let relay: Relay | undefined;
    try {
      const pool = intercepted(single, async (client, text, values) => {
        if (text === 'COMMIT') atCommit.push(await setting(client));
        return client.query(text, values);
      });
      await inTransaction(db.pool, (client) => outbox.stage(client, 'order.placed', { id: 3 }, { topic: 'orders' }));
      const instance = messaging();
      const recorder = recordPublished(instance);
      relay = createOutbox({ pool, table, source: 'orders-service' }).startRelay({ messaging: instance, pollIntervalMs: 50 });
      await recorder.waitForEvent('order.placed', { timeoutMs: WAIT });
      await withTimeout(waitFor(async () => (await pending()) === 0), WAIT, 'the published row to be deleted');
      await relay.stop();
      assert.ok(atCommit.length > 0 && atCommit.every((value) => value === 'off'), `the setting at each batch's COMMIT: ${atCommit.join(', ')}`);
      const after = await Promise.all([single.connect(), single.connect()]);
      try {
        for (const client of after) assert.equal(await setting(client), 'on', "the pooled connections keep the server's setting");
      } finally {
        for (const client of after) client.release();
      }
    } finally {
      await relay?.stop();
      await single.end();
    }
  });

  it('is woken by NOTIFY on commit, without waiting for the 60 s poll', async () => {
    const idle = deferred();
    let claims = 0;
    const pool = observed(db.pool, (text) => {
      if (text.startsWith('SELECT') && text.includes('SKIP LOCKED')) claims += 1;
      if (text === 'COMMIT' && claims === 1) idle.resolve();
    });
    const instance = messaging();
    const recorder = recordPublished(instance);
    start(createOutbox({ pool, table }).startRelay({ messaging: instance, pollIntervalMs: 60_000 }));
    await withTimeout(idle.promise, WAIT, 'the relay to find the table empty');
    await inTransaction(db.pool, (client) => outbox.stage(client, 'order.paid', { id: 3 }, { topic: 'orders' }));
    await recorder.waitForEvent('order.paid', { timeoutMs: WAIT });
    assert.ok(claims >= 2, 'a second batch ran, woken by the notification');
  });

  it('keeps relaying after its LISTEN connection is killed, and listens again', async () => {
    const instance = messaging();
    const recorder = recordPublished(instance);
    start(outbox.startRelay({ messaging: instance, pollIntervalMs: 60_000 }));
    const listening = async (): Promise<number[]> =>
      (await db.rows<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE query = $1', [`LISTEN "${table}"`])).map((row) => row.pid);
    await withTimeout(waitFor(async () => (await listening()).length === 1), WAIT, 'the relay to LISTEN');
    const [first] = await listening();
    await db.pool.query('SELECT pg_terminate_backend($1)', [first]);
    await withTimeout(waitFor(async () => (await listening()).some((pid) => pid !== first)), WAIT, 'a new LISTEN connection');
    await inTransaction(db.pool, (client) => outbox.stage(client, 'order.refunded', { id: 4 }, { topic: 'orders' }));
    await recorder.waitForEvent('order.refunded', { timeoutMs: WAIT });
  });

  it('moves a row over the size limit aside with its reason, while later rows of its key flow', async () => {
    await inTransaction(db.pool, async (client) => {
      await outbox.stage(client, 'file.uploaded', { blob: 'x'.repeat(5_000) }, { topic: 'files', key: 'k' });
      await outbox.stage(client, 'file.renamed', { name: 'b' }, { topic: 'files', key: 'k' });
      await outbox.stage(client, 'file.deleted', { name: 'c' }, { topic: 'files' });
    });
    await db.pool.query(`INSERT INTO ${table} (id, aggregatetype, aggregateid, type, payload, topic) VALUES (gen_random_uuid(), 'files', 'x', 'raw', '{"not":"an envelope"}', 'files')`);
    const instance = messaging({ maxMessageBytes: 2_000 });
    const recorder = recordPublished(instance);
    const relay = start(outbox.startRelay({ messaging: instance }));
    await recorder.waitForEvent('file.renamed', { timeoutMs: WAIT });
    await recorder.waitForEvent('file.deleted', { timeoutMs: WAIT });
    await withTimeout(waitFor(async () => (await pending()) === 0), WAIT, 'the rows to leave the table');
    const failed = await db.rows<{ type: string; reason: string; error_code: string; attempts: number }>(`SELECT type, reason, error_code, attempts FROM ${table}_failed ORDER BY seq`);
    assert.deepEqual(failed.map((row) => [row.type, row.error_code, row.attempts]), [
      ['file.uploaded', 'EVENTWIRE_MESSAGE_TOO_LARGE', 1],
      ['raw', 'EVENTWIRE_MALFORMED_MESSAGE', 1],
    ]);
    assert.match(failed[0]?.reason ?? '', /over the limit of 2000 bytes \(maxMessageBytes\)/);
    assert.equal(relay.stats().movedAside, 2);
    assert.deepEqual(recorder.events.map((event) => event.name).sort(), ['file.deleted', 'file.renamed']);
  });

  const setups = [
    { title: 'two relays at once', relayCount: 2, batchesInFlight: 1 },
    { title: 'one relay with three batches in flight', relayCount: 1, batchesInFlight: 3 },
  ];
  for (const { title, relayCount, batchesInFlight } of setups) {
    describe(title, () => {
      const keys = ['a', 'b', 'c', 'd', 'e'];
      const total = 200;

      /** The relays on instances of one broker, a consumer on another; stages while they run. */
      async function runRelays(): Promise<{ received: Event<{ key: string; n: number }>[]; relays: Relay[]; listening: number }> {
        const server = createMemoryServer();
        const make = (): Messaging => {
          const instance = createMessaging({ broker: createMemoryBroker({ server }), logger: silentLogger, source: 'relay' });
          instances.push(instance);
          return instance;
        };
        const consumerSide = make();
        const seen = collector<Event<{ key: string; n: number }>>(total);
        const consumer = consumerSide.messageHandler({ topic: 'ledger', groupId: 'audit', concurrency: 1 }, (event) => {
          seen.push(event as Event<{ key: string; n: number }>);
        });
        await consumer.start();
        const started = Array.from({ length: relayCount }, () => start(outbox.startRelay({ messaging: make(), batchSize: 7, pollIntervalMs: 50, batchesInFlight })));
        for (let n = 0; n < total; n += 10) {
          await inTransaction(db.pool, async (client) => {
            for (let i = n; i < n + 10; i += 1) {
              const key = keys[i % keys.length] as string;
              await outbox.stage(client, 'entry.booked', { key, n: i }, { topic: 'ledger', key });
            }
          });
        }
        const received = await withTimeout(seen.done, 30_000, `${total} events through ${title}`);
        const listening = (await db.rows<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE query = $1', [`LISTEN "${table}"`])).length;
        return { received, relays: started, listening };
      }

      it('publish each row once, with one LISTEN connection per relay', async () => {
        const { received, relays: started, listening } = await runRelays();
        const ids = new Set(received.map((event) => event.id));
        assert.equal(ids.size, total, 'no event twice');
        assert.deepEqual([...new Set(received.map((event) => event.data.n))].sort((a, b) => a - b), [...Array(total).keys()]);
        // A relay counts a batch once its COMMIT's reply arrived, which can come after another
        // connection already sees the rows gone: wait for both.
        const published = (): number => started.reduce((sum, relay) => sum + relay.stats().published, 0);
        await withTimeout(waitFor(async () => (await pending()) === 0 && published() >= total), WAIT, 'the table to empty and the relays to count every row');
        assert.equal(published(), total, `the relays published ${total} in all`);
        assert.equal(listening, relayCount);
      });

      it('keep the order of each key', async () => {
        const { received } = await runRelays();
        for (const key of keys) {
          const order = received.filter((event) => event.data.key === key).map((event) => event.data.n);
          assert.deepEqual(order, [...order].sort((a, b) => a - b), `key ${key} in staging order`);
          assert.equal(order.length, total / keys.length);
        }
      });
    });
  }
});

/** Polls `check` until it holds: for database state, which sends no event. */
async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** `pool`, with each statement the outbox runs reported to `seen` once it completed. */
function observed(pool: TestSchema['pool'], seen: (text: string) => void): OutboxPool {
  return intercepted(pool, async (client, text, values) => {
    const result = await client.query(text, values);
    seen(text);
    return result;
  });
}

/** `pool`, with each statement the outbox runs on a connection handed to `query` in its place. */
function intercepted(pool: pg.Pool, query: (client: pg.PoolClient, text: string, values?: unknown[]) => Promise<{ rows: unknown[] }>): OutboxPool {
  return {
    async connect() {
      const client = await pool.connect();
      return {
        query: (text: string, values?: unknown[]) => query(client, text, values),
        release: (destroy) => client.release(destroy),
        on: (event: 'notification' | 'error', listener: never) => client.on(event, listener),
        removeListener: (event: 'notification' | 'error', listener: never) => client.removeListener(event, listener),
      };
    },
  };
}
