import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** A Sentinel process of the test's own, monitoring nothing: what a misconfigured URL reaches. */
export interface LoneSentinel {
  readonly port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no TCP port was assigned');
  return address.port;
}

/**
 * Starts `redis-server --sentinel` (Debian's redis-server, which the machine's Redis comes from)
 * on a free port with a config file in a temporary folder, and resolves once it answers PING.
 */
export async function startLoneSentinel(): Promise<LoneSentinel> {
  const dir = await mkdtemp(join(tmpdir(), 'eventwire-sentinel-'));
  const port = await freePort();
  await writeFile(join(dir, 'sentinel.conf'), `bind 127.0.0.1\nport ${port}\ndir ${dir}\n`);
  const child = spawn('redis-server', [join(dir, 'sentinel.conf'), '--sentinel'], { stdio: 'ignore' });
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server --sentinel did not listen on port ${port} within 10 s (exit code ${String(child.exitCode)})`);
    }
    await sleep(50);
  }
  return { port, stop };
}

/** True once something accepts a TCP connection on `port`. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}
