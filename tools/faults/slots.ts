import { randomInt } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { host } from '../../test/support/probe.js';
import { alive, commandOf, identify, readPid, running, type ProcessIdentity } from './process-identity.js';
import { waitFor } from './servers.js';

/**
 * The run's slot: the number that keeps its broker instances apart from those of every other
 * run on the machine, of this checkout or of another.
 *
 * Each run (one process: `npm run faults`, or the mocha process of `npm run test:faults`) takes
 * a slot, a number below 1000, by creating the directory `<tmpdir>/eventwire-faults/<slot>`
 * ({@link ownSlot}). It holds `runner.json` (the pid and start time of the run's process) and
 * the instances' data and logs. The slot's ports, below Linux's ephemeral range, are its own:
 * Redis on 21000 + slot, AMQP on 22000 + slot, Erlang distribution on 23000 + slot, Kafka on
 * 24000 + slot and its controller on 25000 + slot, all on
 * 127.0.0.1; a slot whose ports something else listens on is given up and another tried.
 *
 * {@link releaseSlot} removes the directory once the run stopped its instances, and
 * {@link abandonSlot} does so synchronously at exit. A run killed outright (SIGKILL) leaves its
 * slot behind: the next run to take a slot, from any checkout, sees that its process is gone,
 * kills the servers recorded in it (`redis/server.pid`, `rabbitmq/server.pid`, `kafka/kafka.pid`, once sure each
 * pid is still that server) and removes it.
 */

/** Machine-wide, so that the runs of every checkout see each other's slots. */
const registry = join(tmpdir(), 'eventwire-faults');
const slotCount = 1000;
/** A slot directory without runner.json younger than this is being created, not abandoned. */
const claimingMs = 10 * 60_000;

/** A slot the run holds: its number, its directory and its ports. */
export interface Slot {
  readonly index: number;
  readonly dir: string;
  readonly ports: SlotPorts;
}

/** The ports of a slot's instances. */
export interface SlotPorts {
  readonly redis: number;
  readonly rabbitmq: number;
  /** RabbitMQ's Erlang distribution. */
  readonly dist: number;
  readonly kafka: number;
  /** The Kafka node's KRaft controller listener. */
  readonly kafkaController: number;
}

let slot: Promise<Slot> | undefined;
/** The taken slot's directory, for the synchronous removal at exit. */
let slotDir: string | undefined;

/**
 * The run's slot, taken on first use (after removing those of runs that are gone); a failed
 * attempt may be retried by the next caller.
 *
 * @example
 * const { dir, ports } = await ownSlot();
 */
export function ownSlot(): Promise<Slot> {
  if (slot === undefined) {
    const taking = takeSlot();
    slot = taking;
    taking.catch(() => {
      if (slot === taking) slot = undefined;
    });
  }
  return slot;
}

/**
 * Removes the run's slot directory, if it took one; the next {@link ownSlot} takes a new slot.
 * Call it once the slot's servers have exited.
 *
 * @example
 * await releaseSlot();
 */
export async function releaseSlot(): Promise<void> {
  const taken = await slot?.catch(() => undefined);
  slot = undefined;
  if (taken !== undefined) {
    await rm(taken.dir, { recursive: true, force: true, maxRetries: 3 });
    slotDir = undefined;
  }
}

/**
 * Removes the run's slot directory synchronously, for a process 'exit' handler. Never throws:
 * what it cannot remove, the next run removes (its runner is gone).
 *
 * @example
 * process.on('exit', abandonSlot);
 */
export function abandonSlot(): void {
  if (slotDir === undefined) return;
  try {
    rmSync(slotDir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // The next run removes what is left (its runner is gone).
  }
}

/** Below Linux's ephemeral ports (32768 and up), so that no client connection holds one. */
function portsOf(index: number): SlotPorts {
  return { redis: 21_000 + index, rabbitmq: 22_000 + index, dist: 23_000 + index, kafka: 24_000 + index, kafkaController: 25_000 + index };
}

async function takeSlot(): Promise<Slot> {
  await mkdir(registry, { recursive: true });
  await reapAbandoned();
  const runner = await identify(process.pid);
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const index = randomInt(slotCount);
    const dir = join(registry, String(index));
    try {
      await mkdir(dir); // the reservation: it fails when another run holds the slot
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    }
    await writeFile(join(dir, 'runner.json.tmp'), JSON.stringify(runner));
    await rename(join(dir, 'runner.json.tmp'), join(dir, 'runner.json'));
    const ports = portsOf(index);
    if ((await Promise.all(Object.values(ports).map(bindable))).every(Boolean)) {
      slotDir = dir;
      return { index, dir, ports };
    }
    // Something else (not a fault run) listens on one of the slot's ports.
    await rm(dir, { recursive: true, force: true });
  }
  throw new Error(`The fault runner found no free slot in ${registry} after 50 tries (each needs ports 21000–25999 + slot free on ${host}).`);
}

/**
 * Removes the slots of runs that are gone, killing the servers they left running. Never throws:
 * a slot it cannot remove uses ports of its own, so it cannot get in this run's way.
 */
async function reapAbandoned(): Promise<void> {
  const names = await readdir(registry).catch(() => [] as string[]);
  await Promise.all(
    names.map(async (name) => {
      const index = Number(name);
      if (!Number.isSafeInteger(index) || String(index) !== name) return;
      const dir = join(registry, name);
      const runner = await readJson<ProcessIdentity>(join(dir, 'runner.json'));
      if (runner === undefined) {
        const modified = (await stat(dir).catch(() => undefined))?.mtimeMs;
        if (modified === undefined || Date.now() - modified < claimingMs) return;
      } else if (await running(runner)) return;
      const killed = await killLeftovers(dir, index);
      await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      const what = killed.length === 0 ? 'nothing left running' : `killed ${killed.join(', ')}`;
      console.warn(`fault runner: removed slot ${index} of a run that is gone (pid ${runner?.pid ?? 'unknown'}): ${what}`);
    }).map((reaping, position) => reaping.catch((error: unknown) => console.warn(`fault runner: could not remove the abandoned slot ${names[position] ?? ''}: ${String(error)}`))),
  );
}

/** Kills the servers an abandoned slot recorded, once sure each pid is still that server. */
async function killLeftovers(dir: string, index: number): Promise<string[]> {
  const ports = portsOf(index);
  const killed: string[] = [];
  const leftovers = [
    { what: 'Redis', file: join(dir, 'redis', 'server.pid'), is: (command: string) => command.includes('redis-server') && command.includes(`:${ports.redis}`) },
    // The node sets its name at runtime; its command line names the slot's HOME (`-home <dir>`).
    { what: 'RabbitMQ node', file: join(dir, 'rabbitmq', 'server.pid'), is: (command: string) => command.includes(join(dir, 'rabbitmq', 'home')) },
    { what: 'Kafka', file: join(dir, 'kafka', 'kafka.pid'), is: (command: string) => command.includes(`kafka.Kafka ${join(dir, 'kafka', 'server.properties')}`) },
  ];
  for (const { what, file, is } of leftovers) {
    const pid = await readPid(file);
    if (pid === undefined || !alive(pid)) continue;
    const command = await commandOf(pid);
    if (command === undefined || !is(command)) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      continue; // gone meanwhile: another run reaping the same slot got there first
    }
    await waitFor(`the abandoned ${what} (pid ${pid}) to exit`, 30_000, async () => !alive(pid));
    killed.push(`${what} (pid ${pid})`);
  }
  return killed;
}

/** Whether `port` can be listened on at 127.0.0.1 now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

async function readJson<T>(file: string): Promise<T | undefined> {
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}
