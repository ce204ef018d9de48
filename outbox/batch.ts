import type { Logger } from '../lib/config/logger.js';
import type { Producer } from '../lib/publishing/producer.js';
import { claimRows } from './claim.js';
import type { OutboxPool, OutboxPoolClient } from './pool.js';
import { publishRows, type PublishOutcome } from './publish-rows.js';
import { settleRows } from './settle.js';
import type { TableNames } from './table-name.js';

/**
 * One batch's counts.
 *
 * @example
 * if (result.claimed === 0) await wakeup.wait(pollIntervalMs);
 */
export interface BatchResult {
  readonly claimed: number;
  readonly outcome: PublishOutcome;
}

/** What a batch works with. */
export interface BatchDeps {
  readonly pool: OutboxPool;
  readonly names: TableNames;
  readonly producer: Producer;
  readonly logger: Logger;
  readonly batchSize: number;
}

/**
 * Runs one transaction: claims rows, publishes them (waiting for the broker's acknowledgements
 * while the rows stay locked), records the outcome, commits. At-least-once: when the commit is
 * lost (the process or the database connection dies after the broker acknowledged), the rows
 * stay and are published again. A database failure rejects, after rolling back and destroying
 * the connection.
 *
 * The commit does not wait for its WAL to reach disk (`synchronous_commit` off for this
 * transaction only): a PostgreSQL crash can then undo the last batches' removals, which only
 * publishes those rows again, the same outcome as a lost commit. Nothing staged can be lost this
 * way: staging transactions are the application's, with its own setting.
 *
 * @example
 * const result = await runBatch(deps, controller.signal);
 */
export async function runBatch(deps: BatchDeps, signal: AbortSignal): Promise<BatchResult> {
  const client = await deps.pool.connect();
  // A connection that breaks while checked out emits 'error'; unheard, it would end the process.
  let broken: Error | undefined;
  const onError = (error: Error): void => {
    broken ??= error;
  };
  client.on('error', onError);
  try {
    await client.query('BEGIN; SET LOCAL synchronous_commit TO off');
    const rows = await claimRows(client, deps.names, deps.batchSize);
    if (rows.length === 0) {
      await client.query('COMMIT');
      return { claimed: 0, outcome: { published: [], poisoned: [], failed: [] } };
    }
    const outcome = await publishRows(rows, deps.producer, signal);
    await settleRows(client, deps.names, outcome);
    await client.query('COMMIT');
    return { claimed: rows.length, outcome };
  } catch (error) {
    broken ??= error instanceof Error ? error : new Error(String(error));
    await rollback(client, deps.logger);
    throw error;
  } finally {
    client.removeListener('error', onError);
    if (broken === undefined) client.release();
    else client.release(broken);
  }
}

async function rollback(client: OutboxPoolClient, logger: Logger): Promise<void> {
  try {
    await client.query('ROLLBACK');
  } catch (error) {
    // The connection is destroyed next, which ends the transaction anyway.
    logger.debug('outbox relay: rolling back failed', { error });
  }
}
