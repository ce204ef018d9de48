import type { Pool } from 'pg';
import { CliExit, exitCodes } from '../lib/cli/exit.js';
import { InvalidArgumentError } from '../lib/errors/index.js';
import { bounded } from '../lib/waiting.js';
import { createOutbox, type Outbox } from './outbox.js';

/**
 * `createOutbox`, a bad table name turned into a usage error naming `flag`.
 *
 * @example
 * const outbox = createOutboxOrExit(pool, 'app.outbox');
 */
export function createOutboxOrExit(pool: Pool, table: string, flag = '--table'): Outbox {
  try {
    return createOutbox({ pool, table });
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new CliExit(exitCodes.usage, `${flag}: ${error.message}`);
    throw error;
  }
}

/**
 * `DATABASE_URL`, or a usage error saying to set it.
 *
 * @example
 * const url = databaseUrl();
 */
export function databaseUrl(): string {
  const url = process.env.DATABASE_URL?.trim();
  if (url === undefined || url === '') {
    throw new CliExit(exitCodes.usage, 'DATABASE_URL is not set: set it to the database of the outbox, e.g. postgres://app@db:5432/app.');
  }
  return url;
}

/**
 * Ends the CLI's pool, waiting at most `ms`: a batch abandoned at the grace period may still
 * hold a connection, and the process exits anyway.
 *
 * @example
 * await endPool(pool, 2_000);
 */
export async function endPool(pool: Pool, ms: number): Promise<void> {
  await bounded(pool.end(), ms);
}
