import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { createTestMessaging } from '../../entry/testing.js';
import { createOutbox, OutboxNotMigratedError, type Outbox } from '../../outbox/index.js';
import { InvalidArgumentError } from '../../lib/errors/index.js';
import { recordPublished } from '../../lib/testing.js';
import { inTransaction, type TestSchema } from '../support/postgres.js';
import { outboxTestBed } from '../support/outbox-bed.js';

const WAIT = 10_000;

describe('outbox.stageWith: the event staged in the statement of the caller', () => {
  const bed = outboxTestBed('outbox_with');
  let db: TestSchema;
  let outbox: Outbox;
  let orders: string;

  before(async () => {
    db = bed.db;
    orders = `${db.schema}.orders`;
    outbox = createOutbox({ pool: db.pool, table: bed.table, source: 'shop' });
    await outbox.migrate();
    await db.pool.query(`CREATE TABLE ${orders} (id uuid PRIMARY KEY, total integer NOT NULL)`);
  });

  afterEach(async () => {
    await db.pool.query(`DELETE FROM ${bed.table}; DELETE FROM ${orders}`);
  });

  const rowsOf = async (table: string): Promise<number> => Number((await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

  it("inserts the event and runs the caller's statement in one query, returning its result", async () => {
    const id = randomUUID();
    const queries: string[] = [];
    const { event, result } = await inTransaction(db.pool, (client) => {
      const counted = { query: (text: string, values?: unknown[]) => (queries.push(text), client.query(text, values)) };
      return outbox.stageWith(
        counted,
        { text: `INSERT INTO ${orders} (id, total) VALUES ($1, $2) RETURNING total`, values: [id, 42] },
        'order.placed',
        { id, total: 42 },
        { topic: 'orders', key: id, headers: { tenant: 'acme' } },
      );
    });
    assert.equal(queries.length, 1, 'one statement carries both inserts');
    assert.deepEqual(result.rows, [{ total: 42 }], "the caller's RETURNING");
    const [row] = await db.rows<{ id: string; type: string; key: string; topic: string; payload: unknown; headers: Record<string, string> }>(
      `SELECT id, type, key, topic, payload, headers FROM ${bed.table}`,
    );
    assert.equal(row?.id, event.id);
    assert.equal(row?.type, 'order.placed');
    assert.equal(row?.key, id);
    assert.equal(row?.topic, 'orders');
    assert.deepEqual(row?.payload, JSON.parse(JSON.stringify(event)));
    assert.equal(row?.headers.tenant, 'acme');
    assert.equal(await rowsOf(orders), 1);
  });

  it("leaves an undefined table in the caller's own text as PostgreSQL's error, and names a missing outbox table as not migrated", async () => {
    const missing = `${db.schema}.no_such_table_${randomUUID().slice(0, 8)}`;
    const theirs = await outbox.stageWith(db.pool, { text: `INSERT INTO ${missing} VALUES (1)` }, 'order.placed', {}, { topic: 'orders' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.ok(!(theirs instanceof OutboxNotMigratedError), `the caller's table is not the outbox's: ${String(theirs)}`);
    assert.equal((theirs as { code?: unknown }).code, '42P01');
    const unmigrated = createOutbox({ pool: db.pool, table: `${db.schema}.never_migrated`, source: 'shop' });
    await assert.rejects(unmigrated.stageWith(db.pool, { text: `SELECT 1 FROM ${orders}` }, 'order.placed', {}, { topic: 'orders' }), OutboxNotMigratedError);
    await assert.rejects(unmigrated.stageWith(db.pool, { text: 'WITH mine AS (SELECT 1) SELECT * FROM mine' }, 'order.placed', {}, { topic: 'orders' }), OutboxNotMigratedError);
    assert.equal(await rowsOf(bed.table), 0);
  });

  it('keeps a statement of its own WITH working, RECURSIVE included', async () => {
    const id = randomUUID();
    await inTransaction(db.pool, (client) =>
      outbox.stageWith(client, { text: `WITH amount AS (SELECT $2::integer AS total) INSERT INTO ${orders} (id, total) SELECT $1, total FROM amount`, values: [id, 7] }, 'order.placed', { id }, { topic: 'orders' }),
    );
    const { result } = await inTransaction(db.pool, (client) =>
      outbox.stageWith(client, { text: 'with recursive n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) SELECT count(*)::int AS c FROM n', values: [3] }, 'counted', { n: 3 }, { topic: 'orders' }),
    );
    assert.deepEqual(result.rows, [{ c: 3 }]);
    assert.equal(await rowsOf(orders), 1);
    assert.equal(await rowsOf(bed.table), 2);
  });

  it("stages nothing when the caller's transaction rolls back, and the relay publishes a committed one as staged", async () => {
    const rolledBack = randomUUID();
    await assert.rejects(
      inTransaction(db.pool, async (client) => {
        await outbox.stageWith(client, { text: `INSERT INTO ${orders} (id, total) VALUES ($1, 1)`, values: [rolledBack] }, 'order.placed', { id: rolledBack }, { topic: 'orders' });
        throw new Error('the route failed');
      }),
      /the route failed/,
    );
    assert.equal(await rowsOf(bed.table), 0);
    const id = randomUUID();
    const { event } = await inTransaction(db.pool, (client) =>
      outbox.stageWith(client, { text: `UPDATE ${orders} SET total = total WHERE id = $1`, values: [id] }, 'order.touched', { id }, { topic: 'orders' }),
    );
    const messaging = createTestMessaging();
    bed.instances.push(messaging);
    const recorder = recordPublished(messaging);
    bed.relays.push(outbox.startRelay({ messaging }));
    assert.deepEqual(await recorder.waitForEvent('order.touched', { timeoutMs: WAIT }), event, 'staged even though the UPDATE matched no row');
  });

  it('rejects a statement whose parameters outnumber its values, naming statement.values, and sends nothing', async () => {
    const queries: string[] = [];
    const client = { query: async (text: string) => (queries.push(text), { rows: [] }) };
    await assert.rejects(
      outbox.stageWith(client, { text: 'UPDATE t SET a = $1 WHERE b = $2', values: [1] }, 'x', {}, { topic: 'orders' }),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'statement.values' && /\$2/.test(error.message),
    );
    await assert.rejects(outbox.stageWith(client, { text: '' }, 'x', {}, { topic: 'orders' }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'statement.text');
    await assert.rejects(
      outbox.stageWith(client, 'INSERT' as never, 'x', {}, { topic: 'orders' }),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'statement',
    );
    await assert.rejects(
      outbox.stageWith(client, { text: 'SELECT 1', prepare: 'yes' as never }, 'x', {}, { topic: 'orders' }),
      (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'statement.prepare' && /boolean/.test(error.message),
    );
    assert.deepEqual(queries, []);
  });

  it('with prepare, runs the combined statement as one named statement that the connection prepares once and reuses', async () => {
    const client = await db.pool.connect();
    const configs: { name: string; text: string }[] = [];
    const recording = { query: (config: { name: string; text: string; values: unknown[] }) => (configs.push(config), client.query(config)) };
    try {
      for (const total of [1, 2]) {
        await client.query('BEGIN');
        await outbox.stageWith(recording as never, { text: `INSERT INTO ${orders} (id, total) VALUES ($1, $2)`, values: [randomUUID(), total], prepare: true }, 'order.placed', { total }, { topic: 'orders' });
        await client.query('COMMIT');
      }
      const [first, second] = configs;
      assert.ok(first !== undefined && second !== undefined);
      assert.equal(second.name, first.name, 'one name for one text');
      assert.equal(second.text, first.text);
      const prepared = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_prepared_statements WHERE name = $1', [first.name]);
      assert.equal(prepared.rows[0]?.n, '1', 'the server holds it prepared on this connection');
    } finally {
      client.release(true);
    }
    assert.equal(await rowsOf(orders), 2);
    assert.equal(await rowsOf(bed.table), 2);
  });
});
