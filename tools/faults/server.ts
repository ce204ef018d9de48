import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** How {@link ServerProcess.start} runs a server. */
export interface ServerStartOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly pidFile: string;
  readonly logFile: string;
  /** The user to run it as (PostgreSQL refuses to run as root); default: ours. */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/**
 * A broker server the fault runner starts as its own child (redis-server, the RabbitMQ node), so
 * that its exit is an event and it is reaped. Its pid goes to a file in the run's slot: should
 * the run die without stopping it, the slot's cleanup (slot.ts) finds and kills it. The child is
 * unref'd, so a run that forgot to stop it still ends.
 */
export class ServerProcess {
  readonly exited: Promise<void>;
  #ended = false;

  private constructor(
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) =>
      child.once('exit', () => {
        this.#ended = true;
        resolve();
      }),
    );
  }

  /**
   * Spawns `file` and records its pid in `pidFile`. Throws naming the package to install when
   * `file` is missing.
   *
   * @example
   * const redis = await ServerProcess.start('redis-server', args, { cwd: dir, pidFile, logFile });
   */
  static async start(file: string, args: readonly string[], options: ServerStartOptions): Promise<ServerProcess> {
    const user = options.user === undefined ? {} : { uid: options.user.uid, gid: options.user.gid };
    const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: 'ignore', ...user });
    child.unref();
    const server = new ServerProcess(child, options.logFile);
    try {
      await once(child, 'spawn');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new Error(`${file} is not installed (or not on PATH): the fault runner starts its own broker instances with it (Debian/Ubuntu: apt-get install redis-server rabbitmq-server)`, { cause: error });
    }
    await writeFile(options.pidFile, String(child.pid));
    return server;
  }

  /** Whether the process has exited. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Polls `check` until true. Fails at once when the server exits meanwhile, and kills it when it
   * does not get there within `ms` (nobody could use or stop it); either error ends with its log.
   *
   * @example
   * await redis.waitUntil('Redis to answer PING', 30_000, () => redisPing(port));
   */
  async waitUntil(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
    try {
      await waitFor(what, ms, async () => {
        if (this.#ended) throw new Error(`The server exited while waiting for ${what}`);
        return check();
      });
    } catch (error) {
      await this.stop('SIGKILL', 0);
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n${await tail(this.logFile)}`, { cause: error });
    }
  }

  /**
   * Sends `signal`, then SIGKILL after `graceMs`; resolves once the process exited.
   *
   * @example
   * await rabbit.stop('SIGTERM', 30_000);
   */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (this.#ended) return;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** Polls `check` every 200 ms until it is true; throws after `ms` naming what was awaited. */
async function waitFor(what: string, ms: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() >= deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * The last `lines` lines of a log file, headed by its path, for an error message.
 *
 * @example
 * throw new Error(`Kafka did not start\n${await tail(logFile)}`);
 */
export async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text === '' ? `(no log at ${file})` : `last lines of ${file}:\n${text.split('\n').slice(-lines).join('\n')}`;
}
