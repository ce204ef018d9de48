import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { brokers } from './require-broker.js';

/**
 * A schema of its own for one test file on the test database (`DATABASE_URL`, or the local
 * default), with a pool to reach it. `drop()` removes the schema with everything in it and ends
 * the pool.
 *
 * @example
 * const db = await createTestSchema('outbox'); … await db.drop();
 */
export interface TestSchema {
  readonly pool: pg.Pool;
  readonly schema: string;
  /** Rows of a query, for assertions. */
  rows<T>(text: string, values?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/**
 * Creates `eventwire_<label>_<random>` on the test database.
 *
 * @example
 * const db = await createTestSchema('outbox');
 */
export async function createTestSchema(label: string): Promise<TestSchema> {
  const pool = new pg.Pool({ connectionString: brokers.postgres.url, max: 8 });
  // An idle connection the server drops must not end the test process.
  pool.on('error', () => {});
  const schema = `eventwire_${label}_${randomBytes(4).toString('hex')}`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  return {
    pool,
    schema,
    async rows<T>(text: string, values: unknown[] = []) {
      return (await pool.query(text, values)).rows as T[];
    },
    async drop() {
      try {
        await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await pool.end();
      }
    },
  };
}

/**
 * Runs `work` in a transaction on one connection of `pool`: committed when it resolves, rolled
 * back when it rejects (the rejection is passed on).
 *
 * @example
 * await inTransaction(pool, (client) => outbox.stage(client, 'order.placed', order, { topic: 'orders' }));
 */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
