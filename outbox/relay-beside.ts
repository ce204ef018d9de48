import type { OutboxRelayBeside, StartOutboxRelay } from '../lib/cli/beside.js';
import { silentLogger } from '../lib/config/logger.js';
import { expectPeer } from '../lib/config/load-peer.js';
import { say } from '../lib/cli/io.js';
import { createOutboxOrExit, databaseUrl, endPool } from './cli-outbox.js';
import { createPgPool } from './pg-pool.js';
import { checkTable } from './relay-command.js';

/**
 * The relay `eventwire consumer --outbox-relay` runs beside the consumers, on the database
 * `DATABASE_URL` names and through the consumers' messaging instance. Fails as
 * `eventwire outbox relay` does (no DATABASE_URL or no table: exit 2; database unreachable: 1).
 * Its `stop` lets the batch in flight finish within the grace period, then ends the pool.
 *
 * @example
 * await main(argv, {}, { outbox: runOutboxCommand }, { startOutboxRelay: startRelayBeside });
 */
export const startRelayBeside: StartOutboxRelay = async (messaging, io, options) => {
  const url = databaseUrl();
  const pool = await createPgPool(url, messaging.logger);
  try {
    const outbox = createOutboxOrExit(pool, options.table, '--outbox-table');
    await checkTable(pool, url, options.table);
    const relay = outbox.startRelay({ messaging });
    say(io, `relaying ${options.table} to ${messaging.brokerName} beside the consumers`);
    return {
      async stop(timeoutMs) {
        try {
          await relay.stop({ timeoutMs });
        } finally {
          await endPool(pool, 2_000);
        }
      },
    };
  } catch (error) {
    await endPool(pool, 2_000);
    throw error;
  }
};

/**
 * What `--outbox-relay` needs before any consumer starts (before the worker's modules are even
 * imported): DATABASE_URL set and the table there (else CliExit, exit 2), the database reachable
 * (exit 1), the `pg` package installed (else MissingDependencyError naming it). A failed check
 * leaves no consumer group or queue behind.
 *
 * @example
 * await main(argv, {}, { outbox: runOutboxCommand }, { startOutboxRelay: startRelayBeside, checkOutboxRelay: checkRelayBeside });
 */
export async function checkRelayBeside(options: OutboxRelayBeside): Promise<void> {
  const url = databaseUrl();
  expectPeer('pg', 'outbox relay (--outbox-relay)');
  const pool = await createPgPool(url, silentLogger);
  try {
    createOutboxOrExit(pool, options.table, '--outbox-table');
    await checkTable(pool, url, options.table);
  } finally {
    await endPool(pool, 2_000);
  }
}
