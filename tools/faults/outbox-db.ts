import { randomBytes } from 'node:crypto';
import { silentLogger, type Logger } from '../../entry/index.js';
import { createOutbox, type Outbox, type OutboxPool, type OutboxPoolClient } from '../../outbox/index.js';
import { createPgPool } from '../../outbox/pg-pool.js';
import { startPostgres } from './instances.js';
import type { TestMessage } from './timeline.js';
import type { FaultTarget, Instance } from './types.js';
import { spawnLines, type LineProcess } from './worker.js';

/** A `pg` Pool, as `createPgPool` makes it. */
export type PgPool = Awaited<ReturnType<typeof createPgPool>>;

/**
 * What an outbox scenario works on: a schema of its own on the run's PostgreSQL (never the
 * machine's), with the outbox's tables migrated in it.
 */
export interface OutboxDb {
  readonly postgres: Instance;
  /** The database URL a child process (the relay CLI, an app, a worker) connects with. */
  readonly url: string;
  readonly schema: string;
  /** `<schema>.outbox`: the outbox table (`_inbox` and `_failed` beside it). */
  readonly table: string;
  readonly pool: PgPool;
  readonly outbox: Outbox;
  /** Rows still in the outbox table: committed, not yet published (or not yet deleted). */
  pending(): Promise<number>;
  /** Drops the schema and ends the pool. */
  drop(): Promise<void>;
}

/**
 * Creates `faults_<label>_<random>` on the run's PostgreSQL, with the outbox migrated in it and
 * `extraSql` run after (the scenario's own tables, `%s` standing for the schema).
 *
 * @example
 * const db = await openOutboxDb('killed', 'CREATE TABLE %s.orders (id text PRIMARY KEY)');
 */
export async function openOutboxDb(label: string, extraSql = '', logger: Logger = silentLogger): Promise<OutboxDb> {
  const postgres = await startPostgres();
  const pool = await createPgPool(postgres.url, logger);
  const schema = `faults_${label.replaceAll('-', '_')}_${randomBytes(4).toString('hex')}`;
  await pool.query(`CREATE SCHEMA ${schema}`);
  const table = `${schema}.outbox`;
  const outbox = createOutbox({ pool, table, source: 'eventwire-faults' });
  await outbox.migrate();
  if (extraSql !== '') await pool.query(extraSql.replaceAll('%s', schema));
  return {
    postgres,
    url: postgres.url,
    schema,
    table,
    pool,
    outbox,
    pending: async () => Number(((await pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0] as { n: string }).n),
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
 * Runs `work` in a transaction on a connection of `pool`: committed when it resolves, rolled back
 * when it rejects (the rejection passed on). A connection that failed is destroyed, not reused.
 *
 * @example
 * await inTransaction(db.pool, (client) => db.outbox.stage(client, 'fault.message', message, { topic }));
 */
export async function inTransaction<T>(pool: OutboxPool, work: (client: OutboxPoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error): void => void (broken ??= error);
  client.on('error', onError);
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch((rollbackError: unknown) => void (broken ??= rollbackError as Error));
    throw error;
  } finally {
    client.removeListener('error', onError);
    client.release(broken ?? false);
  }
}

/** The event name the outbox scenarios stage; the test message is its data. */
export const faultEventName = 'fault.message';

/**
 * The test message an outbox event carries (its `data`), for `startGroup({ decode })`.
 *
 * @example
 * startGroup({ …, decode: outboxMessage });
 */
export function outboxMessage(payload: unknown): TestMessage {
  return (payload as { data: TestMessage }).data;
}

/**
 * The environment that points a child process's messaging at `target`'s broker and its outbox
 * at `db`: `MESSAGING_BROKER`, the broker's address variable, `DATABASE_URL`.
 *
 * @example
 * spawnLines('relay', ['entry/bin.ts', 'outbox', 'relay'], outboxEnvironment(target, db));
 */
export function outboxEnvironment(target: FaultTarget, db: OutboxDb): Record<string, string> {
  if (target.broker === 'memory') throw new Error('The outbox scenarios need a broker other processes can reach; memory is not applicable.');
  const address = { redis: 'REDIS_URL', rabbitmq: 'RABBITMQ_URL', kafka: 'KAFKA_BOOTSTRAP_SERVERS' }[target.broker];
  return { MESSAGING_BROKER: target.broker, [address]: target.url, DATABASE_URL: db.url, MESSAGING_SOURCE: 'eventwire-faults' };
}

/**
 * Starts `eventwire outbox relay` (the CLI, as users run it) on `db`'s table and `target`'s
 * broker; resolves once it says it is relaying.
 *
 * @example
 * const relay = await spawnRelay('relay-a', target, db, 50);
 */
export async function spawnRelay(name: string, target: FaultTarget, db: OutboxDb, batchSize = 100): Promise<LineProcess> {
  const args = ['entry/bin.ts', 'outbox', 'relay', '--table', db.table, '--batch-size', String(batchSize), '--poll-interval-ms', '500'];
  const relay = spawnLines(name, args, outboxEnvironment(target, db));
  await relay.waitForLine(/relaying /, 60_000, 'stderr');
  return relay;
}
