import type { Queryable } from './pool.js';
import { rowColumns, type OutboxRow } from './row.js';
import type { TableNames } from './table-name.js';

/** PostgreSQL's `lock_not_available`: a NOWAIT lock met a row another transaction holds. */
const lockNotAvailable = '55P03';

/**
 * Claims up to `limit` rows in the caller's open transaction, locked until it ends, so that
 * concurrent relays never claim the same row.
 *
 * Per-key order with several relays: a keyed row is claimable only while no row of its key
 * with a smaller `seq` is in the table. Holding that head row's lock therefore owns the key;
 * the same transaction then claims the key's following rows, which no other relay can claim
 * first (they are not heads). Another relay's heads are skipped (SKIP LOCKED), never waited for.
 * Should a following row be locked anyway (two transactions staged one key concurrently and
 * committed out of `seq` order), the heads go alone (NOWAIT, undone to a savepoint).
 *
 * @example
 * const rows = await claimRows(client, names, 100);
 */
export async function claimRows(client: Queryable, names: TableNames, limit: number): Promise<OutboxRow[]> {
  const heads = (await client.query(
    `SELECT ${rowColumns} FROM ${names.table} o ` +
      `WHERE o.key IS NULL OR NOT EXISTS (SELECT 1 FROM ${names.table} e WHERE e.key = o.key AND e.seq < o.seq) ` +
      'ORDER BY o.seq LIMIT $1 FOR UPDATE OF o SKIP LOCKED',
    [limit],
  )).rows as OutboxRow[];
  const keys = [...new Set(heads.flatMap((row) => (row.key === null ? [] : [row.key])))];
  if (keys.length === 0 || heads.length >= limit) return heads;
  await client.query('SAVEPOINT eventwire_followers');
  try {
    // Qualified: a bare `seq` in ORDER BY names the output column, which is text (see rowColumns).
    const followers = (await client.query(
      `SELECT ${rowColumns} FROM ${names.table} f WHERE f.key = ANY($1::text[]) AND f.seq <> ALL($2::bigint[]) ` +
        'ORDER BY f.seq LIMIT $3 FOR UPDATE OF f NOWAIT',
      [keys, heads.map((row) => row.seq), limit - heads.length],
    )).rows as OutboxRow[];
    await client.query('RELEASE SAVEPOINT eventwire_followers');
    return [...heads, ...followers].sort((a, b) => compareSeq(a.seq, b.seq));
  } catch (error) {
    if ((error as { code?: unknown }).code !== lockNotAvailable) throw error;
    await client.query('ROLLBACK TO SAVEPOINT eventwire_followers');
    return heads;
  }
}

/** Orders int8 strings numerically without BigInt: a longer one is larger. */
function compareSeq(a: string, b: string): number {
  return a.length === b.length ? (a < b ? -1 : a > b ? 1 : 0) : a.length - b.length;
}
