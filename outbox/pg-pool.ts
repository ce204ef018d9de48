import type { Pool } from 'pg';
import { loadPeer } from '../lib/config/load-peer.js';
import type { Logger } from '../lib/config/logger.js';
import { redactUrl } from '../lib/config/redact.js';

/**
 * A `pg` Pool on `url` for the CLI, `pg` loaded only now (a clear MissingDependencyError when it
 * is not installed). Errors of idle connections are logged, not thrown: unheard, `pg` would end
 * the process with them.
 *
 * @example
 * const pool = await createPgPool(process.env.DATABASE_URL, logger);
 */
export async function createPgPool(url: string, logger: Logger): Promise<Pool> {
  const pg = await loadPeer<typeof import('pg')>('pg', 'outbox command');
  // pg is CommonJS: its ES module wrapper names Pool, older versions only have the default export.
  const PoolClass = pg.Pool ?? (pg as unknown as { default: typeof import('pg') }).default.Pool;
  const pool = new PoolClass({ connectionString: url, max: 4 });
  pool.on('error', (error) => logger.warn('a PostgreSQL connection failed while idle', { database: redactUrl(url), error }));
  return pool;
}
