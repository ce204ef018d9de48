import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { host } from '../../test/support/probe.js';

/**
 * The run's slot: the number that keeps its broker instances apart from every other run's, of
 * this checkout or another, and from the project's brokers on the standard ports.
 *
 * A run (one process: `npm run faults`, or the mocha process of `npm run test:faults`) takes a
 * slot below 1000 by creating `<tmpdir>/eventwire-faults/<slot>`, which holds `runner.json` (the
 * run's pid and start time) and its instances' data, logs and pid files. Its ports, on 127.0.0.1 and
 * below Linux's ephemeral range, are its own: Redis 21000 + slot, AMQP 22000 + slot, Erlang
 * distribution 23000 + slot, Kafka 24000 + slot, its controller 25000 + slot, PostgreSQL 26000 + slot
 * (the outbox scenarios); a slot whose ports
 * something else holds is given up for another.
 *
 * {@link clearSlot} kills every server whose pid a `*.pid` file of the slot records and whose
 * command line names the slot's directory, then removes the directory. The run calls it at exit;
 * the next run to take a slot calls it for every slot whose runner is gone (one SIGKILLed).
 */

const registry = join(tmpdir(), 'eventwire-faults');
const slotCount = 1000;
/** A slot directory without its runner file younger than this is being taken, not abandoned. */
const takingMs = 60_000;

/** The ports of a slot's instances. */
export interface SlotPorts {
  readonly redis: number;
  readonly rabbitmq: number;
  /** RabbitMQ's Erlang distribution. */
  readonly dist: number;
  readonly kafka: number;
  /** The Kafka node's KRaft controller listener. */
  readonly kafkaController: number;
  /** The run's PostgreSQL cluster (the outbox scenarios). */
  readonly postgres: number;
}

/** A slot the run holds: its number, its directory and its ports. */
export interface Slot {
  readonly index: number;
  readonly dir: string;
  readonly ports: SlotPorts;
}

/**
 * The directory of slot `index`.
 *
 * @example
 * const dir = slotDirOf(redis.port - 21_000);
 */
export function slotDirOf(index: number): string {
  return join(registry, String(index));
}

/**
 * Takes a free slot for this process, after clearing those of runs that are gone.
 *
 * @example
 * const { dir, ports } = await takeSlot();
 */
export async function takeSlot(): Promise<Slot> {
  mkdirSync(registry, { recursive: true });
  clearAbandoned();
  const runner: Runner = { pid: process.pid, started: describe(process.pid)?.started };
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const index = randomInt(slotCount);
    const dir = slotDirOf(index);
    try {
      mkdirSync(dir); // the reservation: it fails when another run holds the slot
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    writeFileSync(join(dir, 'runner.json.tmp'), JSON.stringify(runner));
    renameSync(join(dir, 'runner.json.tmp'), join(dir, 'runner.json'));
    const ports = { redis: 21_000 + index, rabbitmq: 22_000 + index, dist: 23_000 + index, kafka: 24_000 + index, kafkaController: 25_000 + index, postgres: 26_000 + index };
    if ((await Promise.all(Object.values(ports).map(bindable))).every(Boolean)) return { index, dir, ports };
    rmSync(dir, { recursive: true, force: true });
  }
  throw new Error(`The fault runner found no free slot in ${registry} after 50 tries (each needs ports 21000–26999 + slot free on ${host}).`);
}

/**
 * Kills the servers the slot at `dir` recorded (a pid in one of its `*.pid` files whose command
 * line names `dir`), then removes it. Synchronous, for an 'exit' handler; never throws. Returns
 * what it killed.
 *
 * @example
 * process.on('exit', () => clearSlot(slot.dir));
 */
export function clearSlot(dir: string): string[] {
  const killed: string[] = [];
  try {
    for (const file of readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.pid'))) {
      const pid = Number(read(join(dir, file)));
      if (!Number.isSafeInteger(pid) || pid <= 0 || describe(pid)?.command.includes(`${dir}/`) !== true) continue;
      if (signal(pid, 'SIGKILL')) killed.push(`${file} (pid ${pid})`);
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch (error) {
    console.warn(`fault runner: could not clear the slot ${dir}: ${String(error)}`);
  }
  return killed;
}

/** The process that holds a slot: its pid, and its start time where it could be read. */
interface Runner {
  readonly pid: number;
  readonly started: string | undefined;
}

/** Clears the slots whose runner is gone (or never wrote its file). */
function clearAbandoned(): void {
  for (const name of readdirSync(registry).filter((entry) => /^\d+$/.test(entry))) {
    const dir = join(registry, name);
    const runner = parse(read(join(dir, 'runner.json')));
    if (runner === undefined ? Date.now() - (statSync(dir, { throwIfNoEntry: false })?.mtimeMs ?? 0) < takingMs : isRunning(runner)) continue;
    const killed = clearSlot(dir);
    console.warn(`fault runner: cleared the slot ${name} of a run that is gone (pid ${runner?.pid ?? 'unknown'}): ${killed.length === 0 ? 'nothing left running' : `killed ${killed.join(', ')}`}`);
  }
}

function parse(text: string | undefined): Runner | undefined {
  try {
    return text === undefined ? undefined : (JSON.parse(text) as Runner);
  } catch {
    return undefined;
  }
}

/** Whether a slot's runner still runs: same pid, same start time (just the pid where unknown). */
function isRunning(runner: Runner): boolean {
  if (runner.started === undefined) return signal(runner.pid, 0);
  return describe(runner.pid)?.started === runner.started;
}

/** Sends `sig` to `pid`; false when there is no such process (or it may not be signalled). */
function signal(pid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(pid, sig);
    return true;
  } catch {
    return false;
  }
}

/**
 * A live process's start time (which tells it from a later one with the same pid) and command
 * line: from /proc on Linux, from `ps` elsewhere; undefined when it is gone.
 */
function describe(pid: number): { readonly started: string; readonly command: string } | undefined {
  const stat = read(`/proc/${pid}/stat`);
  if (stat !== undefined) {
    // Field 22, counted after the command name in parentheses (which may hold spaces).
    return { started: stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '', command: (read(`/proc/${pid}/cmdline`) ?? '').replaceAll('\0', ' ') };
  }
  try {
    const ps = (field: string): string => execFileSync('ps', ['-ww', '-o', `${field}=`, '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { started: ps('lstart'), command: ps('args') };
  } catch {
    return undefined;
  }
}

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Whether `port` can be listened on at 127.0.0.1 now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}
