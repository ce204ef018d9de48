import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/** The local Sentinel set of scripts/clusters.sh: its Sentinels, and the name they monitor the primary under. */
export const sentinelUrls = [27071, 27072, 27073].map((port) => `redis://127.0.0.1:${port}`);
export const sentinelName = 'eventwire';

/** The primary (`host:port`) the Sentinel `sentinel` names. */
export async function primaryOf(sentinel: Redis): Promise<string> {
  const [host, port] = (await sentinel.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', sentinelName)) as [string, string];
  return `${host}:${port}`;
}

/** The pid file of the set's data node at `node` (`host:port`), under .cache/clusters/. */
export function pidFileOf(node: string): string {
  return `.cache/clusters/sentinel-redis-${Number(node.split(':')[1]) - 27060}/redis.pid`;
}

/** The pid of the set's data node at `node` (`host:port`), from its pid file. */
export function pidOf(node: string): number {
  return Number(readFileSync(pidFileOf(node), 'utf8').trim());
}

/** Runs `bash scripts/clusters.sh up sentinel` (stdin closed); resolves with its exit code and output. */
export function restartSet(): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['scripts/clusters.sh', 'up', 'sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}
