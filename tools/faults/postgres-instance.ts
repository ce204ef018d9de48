import { chown, mkdir, readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCommand } from './command.js';
import { host } from '../../test/support/probe.js';
import { ServerProcess } from './server.js';
import type { Slot } from './slot.js';
import type { Instance } from './types.js';

/**
 * The run's own PostgreSQL, for the outbox scenarios: a cluster made by `initdb` in
 * `<slot dir>/postgres/data`, its server a child process on 127.0.0.1:(26000 + slot), trust
 * authentication, database `postgres`. The machine's PostgreSQL (5432) is never touched.
 *
 * - PostgreSQL refuses to run as root: a run as root makes the directory the `postgres` user's
 *   and runs initdb and the server as that user (Debian's package creates it).
 * - The binaries: `FAULTS_PG_BIN` when set, else the newest `/usr/lib/postgresql/<version>/bin`
 *   (Debian's layout), else `initdb` and `postgres` on PATH.
 * - Ready once `pg_isready` says it accepts connections (after crash recovery, too).
 * - `restart()` is a crash: SIGQUIT (immediate shutdown: no checkpoint, WAL replayed at the next
 *   start), `downMs` (default 0) down, then a start on the same data. Every committed
 *   transaction is in the WAL (fsync on), so nothing committed is lost.
 * - `stop()` is a fast shutdown (SIGINT), SIGKILL after 10 s.
 */
export async function postgresInstance(slot: Slot): Promise<Instance> {
  const port = slot.ports.postgres;
  const dir = join(slot.dir, 'postgres');
  const data = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  const bin = await binDir();
  const user = await serverUser();
  const tool = (name: string): string => (bin === undefined ? name : join(bin, name));
  const asUser = user === undefined ? {} : { uid: user.uid, gid: user.gid };

  await mkdir(dir, { recursive: true });
  if (user !== undefined) await chown(dir, user.uid, user.gid);
  await runCommand(tool('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], { cwd: dir, ...asUser }).catch((error: unknown) => {
    throw new Error(`initdb failed for the run's PostgreSQL (Debian/Ubuntu: apt-get install postgresql; or set FAULTS_PG_BIN): ${String(error)}`, { cause: error });
  });

  let server: ServerProcess | undefined;
  let restarting: Promise<void> | undefined;
  const launch = async (): Promise<void> => {
    // The data directory is on the command line, by which slot.ts knows it is the slot's server.
    const args = ['-D', data, '-p', String(port), '-k', dir, '-c', `listen_addresses=${host}`, '-c', 'max_connections=200', '-c', 'logging_collector=on', '-c', `log_directory=${dir}`, '-c', 'log_filename=postgres.log'];
    server = await ServerProcess.start(tool('postgres'), args, { cwd: dir, pidFile: join(dir, 'server.pid'), logFile, ...(user === undefined ? {} : { user }) });
    await server.waitUntil(`PostgreSQL on ${host}:${port} to accept connections`, 60_000, () =>
      runCommand(tool('pg_isready'), ['-q', '-h', host, '-p', String(port)], { timeout: 5_000 }).then(() => true, () => false),
    );
  };

  await launch();
  return {
    port,
    url: `postgres://postgres@${host}:${port}/postgres`,
    restart(options = {}) {
      restarting ??= (server?.stop('SIGQUIT', 10_000) ?? Promise.resolve())
        .then(() => sleep(options.downMs ?? 0))
        .then(launch)
        .finally(() => (restarting = undefined));
      return restarting;
    },
    stop: async () => server?.stop('SIGINT', 10_000),
  };
}

/** Where PostgreSQL's server binaries are; undefined: on PATH. */
async function binDir(): Promise<string | undefined> {
  const given = process.env.FAULTS_PG_BIN;
  if (given !== undefined && given !== '') return given;
  const root = '/usr/lib/postgresql';
  const versions = await readdir(root).catch(() => [] as string[]);
  const newest = versions.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a))[0];
  return newest === undefined || !existsSync(join(root, newest, 'bin', 'initdb')) ? undefined : join(root, newest, 'bin');
}

/** The `postgres` user when we are root (the server refuses root); undefined: run as ourselves. */
async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const id = async (flag: string): Promise<number> => Number((await runCommand('id', [flag, 'postgres'])).trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch (error) {
    throw new Error(`The fault runner runs as root, and PostgreSQL refuses root: it needs a \`postgres\` user to run its own cluster as (Debian's postgresql package creates it). ${String(error)}`, { cause: error });
  }
}
