import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The broker server processes the fault runner starts (redis-server, the RabbitMQ node): start,
 * wait until ready, stop, and read their logs.
 *
 * - {@link startServer} spawns a server as a child of the run, so that its exit is an event and
 *   it is reaped, and writes its pid to a file for the next run to find should this one be
 *   SIGKILLed. The child is unref'd: a run that forgot to stop it still ends.
 * - {@link waitForServer} polls a readiness check; a server that exits meanwhile fails the wait
 *   at once, and one that does not get ready in time is killed.
 * - {@link terminate} sends a signal, then SIGKILL after a grace period, and resolves once the
 *   server exited.
 * - {@link killServers} SIGKILLs, synchronously, every server still running: for the run's
 *   exit handler.
 * - {@link waitFor} and {@link tail} are the polling and the log excerpt these waits and errors
 *   use.
 */

/** A server process of the run; `exited` settles when it ends. */
export interface Server {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly ended: () => boolean;
}

/** Servers running now: killed at exit when stopInstances() did not run. */
const servers = new Set<ChildProcess>();

/**
 * Starts `file` as a child of the run (so its exit is an event and it is reaped), recording its
 * pid in `pidFile` for the run after a SIGKILL of this one.
 *
 * @example
 * const server = await startServer('redis-server', ['--port', '21007'], { cwd: dir, pidFile: join(dir, 'server.pid') });
 */
export async function startServer(file: string, args: readonly string[], options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly pidFile: string }): Promise<Server> {
  const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'ignore' });
  // Stopped by stopInstances() or at exit; a run that forgot to stop it must still end.
  child.unref();
  let ended = false;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      ended = true;
      servers.delete(child);
      resolve();
    }),
  );
  try {
    await once(child, 'spawn');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`${file} is not installed (or not on PATH): the fault runner starts its own broker instances with it (Debian/Ubuntu: apt-get install redis-server rabbitmq-server)`, { cause: error });
    }
    throw error;
  }
  servers.add(child);
  await writeFile(options.pidFile, String(child.pid));
  return { child, exited, ended: () => ended };
}

/**
 * Sends `signal`, then SIGKILL after `graceMs`; resolves once the server exited.
 *
 * @example
 * await terminate(server, 'SIGTERM', 10_000);
 */
export async function terminate(server: Server | undefined, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (server === undefined || server.ended()) return;
  server.child.kill(signal);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  await server.exited;
  clearTimeout(timer);
}

/**
 * Polls `check` until true; fails at once when `server` exits meanwhile, with `diagnose()`. A
 * server that does not get there is killed: nobody could use or stop it.
 *
 * @example
 * await waitForServer('Redis to answer PING', 30_000, server, () => redisPing(port), () => tail(logFile));
 */
export async function waitForServer(what: string, ms: number, server: Server, check: () => Promise<boolean>, diagnose: () => Promise<string>): Promise<void> {
  try {
    await waitFor(what, ms, async () => {
      if (server.ended()) throw new Error(`The server exited while waiting for ${what}\n${await diagnose()}`);
      return check();
    }, diagnose);
  } catch (error) {
    await terminate(server, 'SIGKILL', 0);
    throw error;
  }
}

/**
 * SIGKILLs every server started by {@link startServer} that is still running. Synchronous, for
 * a process 'exit' handler.
 *
 * @example
 * process.on('exit', killServers);
 */
export function killServers(): void {
  for (const server of servers) server.kill('SIGKILL');
}

/**
 * Polls `check` every 200 ms until it is true; throws after `ms` naming what was awaited (and
 * `diagnose()`, when given).
 *
 * @example
 * await waitFor(`pid ${pid} to exit`, 30_000, async () => !alive(pid));
 */
export async function waitFor(what: string, ms: number, check: () => Promise<boolean>, diagnose?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() >= deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}${diagnose === undefined ? '' : `\n${await diagnose()}`}`);
    await sleep(200);
  }
}

/**
 * The last `lines` lines of a log file, headed by its path, for an error message; says so when
 * there is no log.
 *
 * @example
 * throw new Error(`Redis did not start\n${await tail(logFile)}`);
 */
export async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text === '' ? `(no log at ${file})` : `last lines of ${file}:\n${text.split('\n').slice(-lines).join('\n')}`;
}
