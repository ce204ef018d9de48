import { payload } from '../config.js';
import { median } from '../report.js';
import type { BenchDb } from './db.js';
import type { StagingResult } from './types.js';

/**
 * Staging cost: `transactions` pairs of `BEGIN; INSERT` a business row; `COMMIT` on one
 * connection, one of each pair also staging one event with `outbox.stage()`. The pairs alternate
 * which side goes first (ABBA), so drift from other load hits both sides alike; each side's
 * figure is its median transaction time.
 */
export async function measureStaging(db: BenchDb, transactions: number): Promise<StagingResult> {
  const client = await db.pool.connect();
  try {
    const once = async (stage: boolean): Promise<number> => {
      const started = performance.now();
      await client.query('BEGIN');
      await client.query(`INSERT INTO ${db.orders} (total) VALUES ($1)`, [42]);
      if (stage) await db.outbox.stage(client, 'user.created', payload, { topic: 'ewb-staging' });
      await client.query('COMMIT');
      return performance.now() - started;
    };
    for (let warmup = 0; warmup < 20; warmup += 1) await once(warmup % 2 === 0);
    const plain: number[] = [];
    const staged: number[] = [];
    for (let pair = 0; pair < transactions; pair += 1) {
      if (pair % 2 === 0) {
        staged.push(await once(true));
        plain.push(await once(false));
      } else {
        plain.push(await once(false));
        staged.push(await once(true));
      }
    }
    // Staged rows are not published here: the relay measurements start from an empty table.
    await client.query(`DELETE FROM ${db.outbox.table}`);
    const plainMs = median(plain) ?? 0;
    const stagedMs = median(staged) ?? 0;
    return { transactions, plainMs, stagedMs, addedMs: stagedMs - plainMs, ratio: stagedMs / plainMs };
  } finally {
    client.release();
  }
}
