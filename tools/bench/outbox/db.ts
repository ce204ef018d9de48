import pg from 'pg';
import { createOutbox, type Outbox } from 'eventwire/outbox';

/**
 * The bench's own schema on the test database (`DATABASE_URL`, or the local default the tests
 * use): an outbox table, a business table the staging transactions write to, and a table the
 * inbox measurement's handlers write to. Dropped with everything in it at the end.
 */

export const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** One run's schema, its pool and the outbox on it. */
export interface BenchDb {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly outbox: Outbox;
  /** `<schema>.orders`: one row per staging transaction. */
  readonly orders: string;
  /** `<schema>.effects`: one row per message an inbox-measurement handler handled. */
  readonly effects: string;
  /** Drops the schema and ends the pool. */
  drop(): Promise<void>;
}

/** Creates the schema `schema` (a fresh, lower-case name) with its tables and the outbox's. */
export async function openDb(schema: string, poolSize: number): Promise<BenchDb> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  pool.on('error', (error) => console.error('bench pool: an idle client failed', error.message));
  const orders = `${schema}.orders`;
  const effects = `${schema}.effects`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  const drop = async (): Promise<void> => {
    try {
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
    } finally {
      await pool.end();
    }
  };
  try {
    await pool.query(`CREATE TABLE ${orders} (id bigserial PRIMARY KEY, total integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`);
    await pool.query(`CREATE TABLE ${effects} (id bigserial PRIMARY KEY, event_id text NOT NULL)`);
    const outbox = createOutbox({ pool, table: `${schema}.outbox`, source: 'eventwire-bench' });
    await outbox.migrate();
    return { pool, schema, outbox, orders, effects, drop };
  } catch (error) {
    await drop();
    throw error;
  }
}

/** The server's version, for the results file. */
export async function postgresVersion(pool: pg.Pool): Promise<string> {
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  return rows[0]?.server_version ?? 'unknown';
}

/** Rows waiting in the outbox table. */
export async function outboxRows(db: BenchDb): Promise<number> {
  const { rows } = await db.pool.query<{ count: string }>(`SELECT count(*) AS count FROM ${db.outbox.table}`);
  return Number(rows[0]?.count ?? 0);
}

/** Runs `work` in a transaction on one client of the pool; rolls back when it throws. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
