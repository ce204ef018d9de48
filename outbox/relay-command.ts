import type { Pool } from 'pg';
import { drain, type DrainResult } from '../lib/cli/drain.js';
import { configuredMessaging } from '../lib/cli/configured-messaging.js';
import { CliExit, exitCodes, type ExitCode } from '../lib/cli/exit.js';
import { importModules } from '../lib/cli/import-modules.js';
import { describeError, say, sentence, type CliIo } from '../lib/cli/io.js';
import { watchSignals } from '../lib/cli/signals.js';
import { EventwireError } from '../lib/errors/index.js';
import { redactUrl } from '../lib/config/redact.js';
import { createOutboxOrExit, endPool } from './cli-outbox.js';
import { createPgPool } from './pg-pool.js';
import { defaultTable, tableNames } from './table-name.js';
import { undefinedTable } from './not-migrated.js';

/**
 * A parsed `eventwire outbox relay` invocation.
 *
 * @example
 * const command: RelayCommand = { url, table: 'eventwire_outbox', modules: [], batchSize: 100, batchesInFlight: 1, pollIntervalMs: 1000, graceMs: 30_000 };
 */
export interface RelayCommand {
  readonly url: string;
  readonly table: string;
  /** Imported first: they may call configureMessaging(). */
  readonly modules: readonly string[];
  readonly batchSize: number;
  readonly batchesInFlight: number;
  readonly pollIntervalMs: number;
  readonly graceMs: number;
}


/**
 * Runs a relay until the first SIGTERM/SIGINT, then stops it (the batch in flight finishes
 * within `graceMs`), closes the messaging instance and the pool. A second signal exits at once.
 *
 * @example
 * const code = await runRelayCommand(command, defaultIo());
 */
export async function runRelayCommand(command: RelayCommand, io: CliIo): Promise<ExitCode> {
  await importModules(command.modules, io.cwd);
  const messaging = configuredMessaging();
  const pool = await createPgPool(command.url, messaging.logger);
  const signals = watchSignals(io.signals);
  try {
    const outbox = createOutboxOrExit(pool, command.table);
    await checkTable(pool, command.url, command.table);
    const relay = outbox.startRelay({ messaging, batchSize: command.batchSize, batchesInFlight: command.batchesInFlight, pollIntervalMs: command.pollIntervalMs });
    say(io, `relaying ${command.table} to ${messaging.brokerName}`);
    const signal = await signals.first;
    say(io, `received ${signal}; stopping: the batch in flight has ${command.graceMs} ms to finish (send it again to exit at once)`);
    const end = Date.now() + command.graceMs;
    const left = (): number => Math.max(0, end - Date.now());
    const work = relay.stop({ timeoutMs: command.graceMs }).then(() => messaging.close({ timeoutMs: left() }));
    return report(io, await drain(work, command.graceMs, signals.second), command);
  } catch (error) {
    await messaging.close({ timeoutMs: command.graceMs }).catch(() => {});
    throw error;
  } finally {
    signals.dispose();
    await endPool(pool, 2_000);
  }
}

/**
 * Fails early, and clearly, when the database is unreachable (exit 1) or the table was never
 * created (exit 2).
 *
 * @example
 * await checkTable(pool, process.env.DATABASE_URL, 'eventwire_outbox');
 */
export async function checkTable(pool: Pool, url: string, table: string): Promise<void> {
  try {
    await pool.query(`SELECT 1 FROM ${tableNames(table).table} LIMIT 0`);
  } catch (error) {
    if ((error as { code?: unknown }).code === undefinedTable) {
      throw new CliExit(exitCodes.usage, `the outbox table ${table} does not exist: run eventwire outbox migrate${table === defaultTable ? '' : ` --table ${table}`} first.`);
    }
    throw new CliExit(exitCodes.failure, `could not reach PostgreSQL at ${redactUrl(url)}: ${sentence(describeError(error))}`);
  }
}

function report(io: CliIo, result: DrainResult, command: RelayCommand): ExitCode {
  switch (result.kind) {
    case 'done':
      say(io, 'stopped');
      return exitCodes.ok;
    case 'failed':
      say(io, `stopping failed: ${result.error instanceof EventwireError ? result.error.message : describeError(result.error)}`);
      return exitCodes.failure;
    case 'timeout':
      say(io, `the grace period of ${command.graceMs} ms passed before the relay stopped; exiting. Rows not yet deleted are published again by the next relay.`);
      return exitCodes.failure;
    case 'signal':
      say(io, `received ${result.signal} again; exiting at once. Rows not yet deleted are published again by the next relay.`);
      return exitCodes.failure;
  }
}
