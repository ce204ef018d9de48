import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { moleculerDir } from './moleculer.js';

/**
 * Installs tools/bench/peers/moleculer/ from its lockfile the first time the bench needs it. Returns
 * undefined when it is usable, otherwise why not (the Moleculer cases then record that reason).
 */
export function ensureMoleculer(): string | undefined {
  if (existsSync(`${moleculerDir}node_modules/@moleculer/channels`)) return undefined;
  console.log('Installing Moleculer Channels into tools/bench/peers/moleculer (once) ...');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const result = spawnSync(npm, ['ci', '--no-audit', '--no-fund', '--prefix', moleculerDir], { stdio: 'inherit', timeout: 180_000 });
  if (result.status === 0 && existsSync(`${moleculerDir}node_modules/@moleculer/channels`)) return undefined;
  return `npm ci in tools/bench/peers/moleculer failed (${result.error?.message ?? `exit code ${result.status ?? '?'}`})`;
}
