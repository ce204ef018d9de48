import { payload } from '../config.js';
import { median } from '../report.js';
import type { BenchDb } from './db.js';
import type { StagingResult } from './types.js';

/** How a measured transaction stages its event: not at all, by `stage()` after the insert, or by `stageWith()` in the insert. */
type Side = 'plain' | 'stage' | 'with';
const sides: readonly Side[] = ['plain', 'stage', 'with'];

/**
 * Staging cost: `transactions` rounds of three `BEGIN; INSERT` a business row; `COMMIT`
 * transactions on one connection: one without an event, one also staging one event with
 * `outbox.stage()`, one staging it in the insert itself with `outbox.stageWith()`. Each round
 * starts with a different side (rotation), so drift from other load hits every side alike;
 * each side's figure is its median transaction time.
 */
export async function measureStaging(db: BenchDb, transactions: number): Promise<StagingResult> {
  const client = await db.pool.connect();
  const insert = `INSERT INTO ${db.orders} (total) VALUES ($1)`;
  try {
    const once = async (side: Side): Promise<number> => {
      const started = performance.now();
      await client.query('BEGIN');
      if (side === 'with') {
        await db.outbox.stageWith(client, { text: insert, values: [42] }, 'user.created', payload, { topic: 'ewb-staging' });
      } else {
        await client.query(insert, [42]);
        if (side === 'stage') await db.outbox.stage(client, 'user.created', payload, { topic: 'ewb-staging' });
      }
      await client.query('COMMIT');
      return performance.now() - started;
    };
    for (let warmup = 0; warmup < 30; warmup += 1) await once(sides[warmup % 3] as Side);
    const times: Record<Side, number[]> = { plain: [], stage: [], with: [] };
    for (let round = 0; round < transactions; round += 1) {
      for (let turn = 0; turn < 3; turn += 1) {
        const side = sides[(round + turn) % 3] as Side;
        times[side].push(await once(side));
      }
    }
    // Staged rows are not published here: the relay measurements start from an empty table.
    await client.query(`DELETE FROM ${db.outbox.table}`);
    const plainMs = median(times.plain) ?? 0;
    const stagedMs = median(times.stage) ?? 0;
    const withMs = median(times.with) ?? 0;
    return { transactions, plainMs, stagedMs, addedMs: stagedMs - plainMs, ratio: stagedMs / plainMs, withMs, withAddedMs: withMs - plainMs };
  } finally {
    client.release();
  }
}
