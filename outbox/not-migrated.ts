import { OutboxNotMigratedError } from '../lib/errors/index.js';

/** PostgreSQL's SQLSTATE for `undefined_table`; errors are recognised by code, never by message. */
export const undefinedTable = '42P01';

/**
 * `error` as an {@link OutboxNotMigratedError} naming `table` when PostgreSQL reported an
 * undefined table (the outbox's tables were never created), else `error` unchanged.
 *
 * @example
 * throw notMigrated(error, 'eventwire_outbox');
 */
export function notMigrated(error: unknown, table: string): unknown {
  if (error instanceof OutboxNotMigratedError) return error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return code === undefinedTable ? new OutboxNotMigratedError(table, { cause: error }) : error;
}

/**
 * Runs `work`, rejecting with an {@link OutboxNotMigratedError} naming `table` instead of
 * PostgreSQL's undefined-table error.
 *
 * @example
 * await migratedOr('eventwire_outbox', () => client.query(insert, values));
 */
export async function migratedOr<T>(table: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw notMigrated(error, table);
  }
}
