import { payload } from '../config.js';
import { median } from '../report.js';
import type { BenchDb } from './db.js';
import type { StagingResult } from './types.js';

/**
 * How a measured transaction stages its event: not at all, by `stage()` after the insert, or by
 * `stageWith()` in the insert; the `prepared-` sides run the insert as a prepared statement.
 */
type Side = 'plain' | 'stage' | 'with' | 'prepared-plain' | 'prepared-with';
const sides: readonly Side[] = ['plain', 'stage', 'with', 'prepared-plain', 'prepared-with'];

/**
 * Staging cost: `transactions` rounds of five `BEGIN; INSERT` a business row; `COMMIT`
 * transactions on one connection: one without an event, one also staging one event with
 * `outbox.stage()`, one staging it in the insert itself with `outbox.stageWith()`, and the first
 * and last again with the insert prepared (`pg`'s named statement; `prepare: true` for
 * `stageWith()`), so that each staging side is set against the same kind of insert. Each round
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
      if (side === 'with' || side === 'prepared-with') {
        await db.outbox.stageWith(client, { text: insert, values: [42], prepare: side === 'prepared-with' }, 'user.created', payload, { topic: 'ewb-staging' });
      } else if (side === 'prepared-plain') {
        await client.query({ name: 'ewb_staging_plain', text: insert, values: [42] });
      } else {
        await client.query(insert, [42]);
        if (side === 'stage') await db.outbox.stage(client, 'user.created', payload, { topic: 'ewb-staging' });
      }
      await client.query('COMMIT');
      return performance.now() - started;
    };
    for (let warmup = 0; warmup < 50; warmup += 1) await once(sides[warmup % sides.length] as Side);
    const times: Record<Side, number[]> = { plain: [], stage: [], with: [], 'prepared-plain': [], 'prepared-with': [] };
    for (let round = 0; round < transactions; round += 1) {
      for (let turn = 0; turn < sides.length; turn += 1) {
        const side = sides[(round + turn) % sides.length] as Side;
        times[side].push(await once(side));
      }
    }
    // Staged rows are not published here: the relay measurements start from an empty table.
    await client.query(`DELETE FROM ${db.outbox.table}`);
    const plainMs = median(times.plain) ?? 0;
    const stagedMs = median(times.stage) ?? 0;
    const withMs = median(times.with) ?? 0;
    const preparedPlainMs = median(times['prepared-plain']) ?? 0;
    const preparedWithMs = median(times['prepared-with']) ?? 0;
    const prepared = { preparedPlainMs, preparedWithMs, preparedWithAddedMs: preparedWithMs - preparedPlainMs };
    return { transactions, plainMs, stagedMs, addedMs: stagedMs - plainMs, ratio: stagedMs / plainMs, withMs, withAddedMs: withMs - plainMs, ...prepared };
  } finally {
    client.release();
  }
}
