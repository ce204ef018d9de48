import type { Pool } from 'pg';
import { CliExit, exitCodes } from '../lib/cli/exit.js';
import { InvalidArgumentError } from '../lib/errors/index.js';
import { bounded } from '../lib/waiting.js';
import { createOutbox, type Outbox } from './outbox.js';

/**
 * `createOutbox`, a bad `--table` turned into a usage error.
 *
 * @example
 * const outbox = createOutboxOrExit(pool, 'app.outbox');
 */
export function createOutboxOrExit(pool: Pool, table: string): Outbox {
  try {
    return createOutbox({ pool, table });
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new CliExit(exitCodes.usage, `--table: ${error.message}`);
    throw error;
  }
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
