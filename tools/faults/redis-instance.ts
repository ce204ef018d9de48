import { mkdir } from 'node:fs/promises';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { host } from '../../test/support/probe.js';
import { ServerProcess } from './server.js';
import type { Slot } from './slot.js';
import type { Instance } from './types.js';

/**
 * The run's own Redis: a `redis-server` child process on 127.0.0.1:(21000 + slot), with its data
 * (AOF, `appendfsync always`, no RDB snapshots), log and pid file in `<slot dir>/redis`.
 *
 * - Ready once it answers PING with PONG, which it does only after loading its AOF (30 s at
 *   most; otherwise it is killed and the start throws with the tail of its log).
 * - `restart()` is a crash: SIGKILL, {@link redisDownMs} (or the `downMs` given) down, then a start on the same port and
 *   data. Every acknowledged XADD and XACK is on disk, so nothing acknowledged is lost.
 *   Concurrent calls share one restart.
 * - `stop()` sends SIGTERM, then SIGKILL after 10 s, and resolves once it exited.
 */

/**
 * How long a restarted Redis stays down, as a supervisor restarting it would take. A Redis back
 * within a few hundred ms is hidden from callers by ioredis's offline queue: nobody would see
 * the outage that the scenarios are there to show.
 */
export const redisDownMs = 2_000;

/**
 * Starts the Redis of `slot` and resolves once it answers.
 *
 * @example
 * const redis = await redisInstance(await takeSlot()); await redis.restart();
 */
export async function redisInstance(slot: Slot): Promise<Instance> {
  const port = slot.ports.redis;
  const dir = join(slot.dir, 'redis');
  const logFile = join(dir, 'redis.log');
  let server: ServerProcess | undefined;
  let restarting: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    await mkdir(dir, { recursive: true });
    // The process keeps its arguments as its title (no `redis-server host:port`): they name the
    // slot's directory, by which slot.ts knows it is the slot's server.
    const args = ['--port', String(port), '--bind', host, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--logfile', logFile, '--set-proc-title', 'no'];
    server = await ServerProcess.start('redis-server', args, { cwd: dir, pidFile: join(dir, 'server.pid'), logFile });
    await server.waitUntil(`Redis on ${host}:${port} to answer PING`, 30_000, () => redisPing(port));
  };

  await launch();
  return {
    port,
    url: `redis://${host}:${port}`,
    restart(options = {}) {
      // SIGKILL, a crash: with appendfsync always every acknowledged XADD and XACK is on disk.
      restarting ??= (server?.stop('SIGKILL', 0) ?? Promise.resolve())
        .then(() => sleep(options.downMs ?? redisDownMs))
        .then(launch)
        .finally(() => (restarting = undefined));
      return restarting;
    },
    stop: async () => server?.stop('SIGTERM', 10_000),
  };
}

/** True once Redis answers PING with PONG (not while it loads its AOF). */
function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
