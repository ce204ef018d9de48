import { randomUUID } from 'node:crypto';
import type { MemoryServer } from 'eventwire/memory';
import { payload } from '../config.js';
import { eventwireMessaging } from '../eventwire.js';
import { sendMany } from '../measure.js';
import { bindForSend, rawClient } from '../raw/index.js';
import type { BrokerId } from '../types.js';
import { inTransaction, outboxRows, type BenchDb } from './db.js';
import type { RelayShape, ThroughputResult } from './types.js';
import { reason, until } from './waits.js';

/**
 * Relay throughput: `rows` events staged (untimed), then one relay started with `batchSize` and `batchesInFlight`,
 * timed until it has published them all and the table is empty. The baseline, in the same run
 * and on the same topic: the raw client publishing as many envelopes of the same shape, encoded
 * in the timed loop, in batches of `batchSize`, each batch awaited.
 */

const stagedPerTransaction = 250;

/** Stages `rows` events without a key, in transactions of 250 on 4 connections. */
async function stageRows(db: BenchDb, topic: string, rows: number): Promise<void> {
  const transactions = Math.ceil(rows / stagedPerTransaction);
  await sendMany(transactions, 4, (index) =>
    inTransaction(db.pool, async (client) => {
      const count = Math.min(stagedPerTransaction, rows - index * stagedPerTransaction);
      for (let row = 0; row < count; row += 1) await db.outbox.stage(client, 'user.created', payload, { topic });
    }),
  );
}

/** The envelope the relay publishes for a staged event, encoded as eventwire encodes it. */
const envelope = (): Buffer => Buffer.from(JSON.stringify({ id: randomUUID(), name: 'user.created', data: payload, timestamp: new Date().toISOString(), source: 'eventwire-bench' }));

async function rawRate(broker: BrokerId, topic: string, rows: number, batchSize: number, server: MemoryServer): Promise<number> {
  const client = await rawClient(broker, topic, server);
  try {
    await client.send(envelope());
    const started = performance.now();
    for (let sent = 0; sent < rows; sent += batchSize) {
      await client.sendBatch(Array.from({ length: Math.min(batchSize, rows - sent) }, envelope));
    }
    return rows / ((performance.now() - started) / 1000);
  } finally {
    await client.close();
  }
}

async function relayRate(db: BenchDb, broker: BrokerId, topic: string, rows: number, shape: RelayShape, server: MemoryServer): Promise<number> {
  const messaging = eventwireMessaging({ broker }, server);
  try {
    // Connected before the clock starts, as the raw client is.
    await messaging.getProducer().send(topic, payload);
    await stageRows(db, topic, rows);
    const started = performance.now();
    const relay = db.outbox.startRelay({ messaging, ...shape });
    try {
      await until(() => relay.stats().published >= rows, 120 + rows / 100, () => `the relay publishing ${rows} rows (published ${relay.stats().published})`);
    } finally {
      await relay.stop();
    }
    const elapsed = performance.now() - started;
    const left = await outboxRows(db);
    if (left > 0) throw new Error(`${left} rows were left in the outbox table`);
    return rows / (elapsed / 1000);
  } finally {
    await messaging.close();
  }
}

/** Both sides for one broker and batch size; a failure is recorded, never thrown. */
export async function measureThroughput(db: BenchDb, broker: BrokerId, name: string, rows: number, shape: RelayShape, server: MemoryServer): Promise<ThroughputResult> {
  const base = { broker, ...shape, rows };
  try {
    await bindForSend(broker, name, `${name}.q`);
    const raw = await rawRate(broker, name, rows, shape.batchSize, server);
    const relay = await relayRate(db, broker, name, rows, shape, server);
    return { ...base, relayRate: relay, rawRate: raw };
  } catch (error) {
    await db.pool.query(`DELETE FROM ${db.outbox.table}`).catch(() => {});
    return { ...base, error: reason(error) };
  }
}
