import type { PublishOutcome } from './publish-rows.js';
import type { Queryable } from './pool.js';
import type { TableNames } from './table-name.js';

const columns = 'id, aggregatetype, aggregateid, type, payload, seq, topic, key, headers, created_at, attempts, last_error';

/**
 * Records a batch's outcome in its still-open transaction: acknowledged rows are deleted,
 * rows that can never be published move to the failed table with their reason, and rows that
 * failed for now stay, with `attempts` counted and `last_error` set.
 *
 * @example
 * await settleRows(client, names, outcome); await client.query('COMMIT');
 */
export async function settleRows(client: Queryable, names: TableNames, outcome: PublishOutcome): Promise<void> {
  if (outcome.published.length > 0) {
    await client.query(`DELETE FROM ${names.table} WHERE seq = ANY($1::bigint[])`, [outcome.published]);
  }
  if (outcome.poisoned.length > 0) {
    const { poisoned } = outcome;
    await client.query(
      `WITH moved AS (DELETE FROM ${names.table} WHERE seq = ANY($1::bigint[]) RETURNING *) ` +
        `INSERT INTO ${names.failed} (${columns}, reason, error_code) ` +
        'SELECT m.id, m.aggregatetype, m.aggregateid, m.type, m.payload, m.seq, m.topic, m.key, m.headers, m.created_at, ' +
        'm.attempts + 1, m.last_error, r.reason, r.code ' +
        'FROM moved m JOIN unnest($1::bigint[], $2::text[], $3::text[]) AS r(seq, reason, code) ON r.seq = m.seq ' +
        'ON CONFLICT (id) DO UPDATE SET reason = EXCLUDED.reason, error_code = EXCLUDED.error_code, ' +
        'attempts = EXCLUDED.attempts, failed_at = now()',
      [poisoned.map((row) => row.seq), poisoned.map((row) => row.reason), poisoned.map((row) => row.code ?? null)],
    );
  }
  if (outcome.failed.length > 0) {
    const { failed } = outcome;
    await client.query(
      `UPDATE ${names.table} t SET attempts = t.attempts + 1, last_error = r.reason ` +
        'FROM unnest($1::bigint[], $2::text[]) AS r(seq, reason) WHERE t.seq = r.seq',
      [failed.map((row) => row.seq), failed.map((row) => row.reason)],
    );
  }
}
