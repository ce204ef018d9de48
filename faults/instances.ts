import { execFile, spawn, type ChildProcess, type ExecFileOptions } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { reachable } from './probe.js';
import type { FaultBroker } from './types.js';

/**
 * The broker instances the fault runner controls, so that scenarios may crash and restart them.
 *
 * | broker   | instance                                                                               |
 * |----------|----------------------------------------------------------------------------------------|
 * | redis    | a `redis-server` of the run's own on 127.0.0.1:(21000 + slot), AOF with `appendfsync always`. Restart = SIGKILL (a crash), {@link redisDownMs} down, then start on the same port and data: every acknowledged write is on disk. |
 * | rabbitmq | a RabbitMQ node of the run's own, `eventwire-faults-<slot>@localhost` on 127.0.0.1:(22000 + slot), Erlang distribution on (23000 + slot), its own config, no plugins. Restart = SIGTERM (RabbitMQ's graceful stop), start, `rabbitmqctl await_startup`. |
 * | kafka    | the project's own broker on 127.0.0.1:9092 (`scripts/brokers.sh`). Restart = `brokers.sh down kafka`, then `up kafka` with KAFKA_KEEP_DATA=1, so topics and offsets survive. Refused when 9092 is not that broker. Never stopped. |
 *
 * Each run (one process: `npm run faults`, or the mocha process of `npm run test:faults`) takes
 * a slot, a number below 1000, by creating the directory `<tmpdir>/eventwire-faults/<slot>`. It
 * holds `runner.json` (the pid and start time of the run's process) and the instances' data and
 * logs. A run's instances are its own: two runs at once, of one checkout or of several, never
 * share an instance or restart each other's. Redis and RabbitMQ are child processes of the run;
 * {@link stopInstances} stops them and removes the slot, and so does the run's exit. A run
 * killed outright (SIGKILL) leaves its slot behind; the next run, from any checkout, sees that
 * its process is gone, kills the servers recorded in it and removes it.
 */

const host = '127.0.0.1';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/**
 * How long a restarted Redis stays down, as a supervisor restarting it would take. A Redis back
 * within a few hundred ms is hidden from callers by ioredis's offline queue: nobody would see
 * the outage that the scenarios are there to show.
 */
export const redisDownMs = 2_000;
/** Machine-wide, so that the runs of every checkout see each other's slots. */
const registry = join(tmpdir(), 'eventwire-faults');
const slotCount = 1000;
/** A slot directory without runner.json younger than this is being created, not abandoned. */
const claimingMs = 10 * 60_000;

/** A broker instance of the run. */
export interface Instance {
  readonly port: number;
  /** How clients reach it: a URL, or Kafka's bootstrap list. */
  readonly url: string;
  restart(): Promise<void>;
  /** Stops it (never the project's Kafka); resolves once it exited. */
  stop(): Promise<void>;
}

type InstanceBroker = Exclude<FaultBroker, 'memory'>;

interface Slot {
  readonly index: number;
  readonly dir: string;
  readonly ports: SlotPorts;
}

interface SlotPorts {
  readonly redis: number;
  readonly rabbitmq: number;
  readonly dist: number;
}

/** Below Linux's ephemeral ports (32768 and up), so that no client connection holds one. */
function portsOf(index: number): SlotPorts {
  return { redis: 21_000 + index, rabbitmq: 22_000 + index, dist: 23_000 + index };
}

/** A process told apart from a later one with the same pid by its start time. */
interface ProcessIdentity {
  readonly pid: number;
  /** As the system reports it; undefined where it cannot be read. */
  readonly started: string | undefined;
}

let slot: Promise<Slot> | undefined;
const instances = new Map<InstanceBroker, Promise<Instance>>();
/** Servers running now: killed at exit when stopInstances() did not run. */
const servers = new Set<ChildProcess>();
let slotDir: string | undefined;

/**
 * The run's instance of `broker`, started on first use (a slot is taken first, after removing
 * those of runs that are gone). Throws with the instance's log tail when it cannot start.
 *
 * @example
 * const redis = await startInstance('redis'); await redis.restart();
 */
export function startInstance(broker: InstanceBroker): Promise<Instance> {
  let pending = instances.get(broker);
  if (pending === undefined) {
    pending = broker === 'kafka' ? kafkaInstance() : ownSlot().then((taken) => (broker === 'redis' ? redisInstance(taken) : rabbitMqInstance(taken)));
    // A failed start may be tried again by the next caller.
    pending.catch(() => instances.delete(broker));
    instances.set(broker, pending);
  }
  return pending;
}

/**
 * Stops every instance the run started and removes its slot; the project's Kafka keeps running.
 * Throws the first failure, after trying them all.
 *
 * @example
 * after(() => stopInstances());
 */
export async function stopInstances(): Promise<void> {
  const running = [...instances.values()];
  instances.clear();
  const results = await Promise.allSettled(running.map(async (pending) => (await pending).stop()));
  const taken = await slot?.catch(() => undefined);
  slot = undefined;
  if (taken !== undefined) {
    await rm(taken.dir, { recursive: true, force: true, maxRetries: 3 });
    slotDir = undefined;
  }
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

// ------------------------------------------------------------------------------------ slots ---

/** The run's slot, taken on first use; a failed attempt may be retried by the next caller. */
function ownSlot(): Promise<Slot> {
  if (slot === undefined) {
    const taking = takeSlot();
    slot = taking;
    taking.catch(() => {
      if (slot === taking) slot = undefined;
    });
  }
  return slot;
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
      if (!process.listeners('exit').includes(abandon)) process.on('exit', abandon);
      return { index, dir, ports };
    }
    // Something else (not a fault run) listens on one of the slot's ports.
    await rm(dir, { recursive: true, force: true });
  }
  throw new Error(`The fault runner found no free slot in ${registry} after 50 tries (each needs ports 21000–23999 + slot free on ${host}).`);
}

/** At exit without stopInstances(): the run's servers must not outlive it. */
function abandon(): void {
  for (const server of servers) server.kill('SIGKILL');
  if (slotDir === undefined) return;
  try {
    rmSync(slotDir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // The next run removes what is left (its runner is gone).
  }
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

/** True while the process is the one recorded (same pid and, where known, same start time). */
async function running(identity: ProcessIdentity): Promise<boolean> {
  if (!alive(identity.pid)) return false;
  const started = await startTimeOf(identity.pid);
  return identity.started === undefined || started === undefined || started === identity.started;
}

async function identify(pid: number): Promise<ProcessIdentity> {
  return { pid, started: await startTimeOf(pid) };
}

/** Linux: field 22 of /proc/<pid>/stat (clock ticks since boot); elsewhere ps's start time. */
async function startTimeOf(pid: number): Promise<string | undefined> {
  const proc = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Fields 3 onwards follow the command name in parentheses, which may contain spaces.
  if (proc !== undefined) return proc.slice(proc.lastIndexOf(')') + 2).split(' ')[19];
  const ps = await run('ps', ['-o', 'lstart=', '-p', String(pid)]).catch(() => '');
  return ps.trim() === '' ? undefined : ps.trim();
}

async function commandOf(pid: number): Promise<string | undefined> {
  const proc = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (proc !== undefined) return proc.split('\0').join(' ');
  const ps = await run('ps', ['-o', 'args=', '-p', String(pid)]).catch(() => '');
  return ps.trim() === '' ? undefined : ps.trim();
}

/** Whether `port` can be listened on at 127.0.0.1 now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

// ---------------------------------------------------------------------------------- servers ---

/** A server process of the run; `exited` settles when it ends. */
interface Server {
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
  readonly ended: () => boolean;
}

/**
 * Starts `file` as a child of the run (so its exit is an event and it is reaped), recording its
 * pid in `pidFile` for the run after a SIGKILL of this one.
 */
async function startServer(file: string, args: readonly string[], options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly pidFile: string }): Promise<Server> {
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

/** Sends `signal`, then SIGKILL after `graceMs`; resolves once the server exited. */
async function terminate(server: Server | undefined, signal: NodeJS.Signals, graceMs: number): Promise<void> {
  if (server === undefined || server.ended()) return;
  server.child.kill(signal);
  const timer = setTimeout(() => server.child.kill('SIGKILL'), graceMs);
  await server.exited;
  clearTimeout(timer);
}

/**
 * Polls `check` until true; fails at once when `server` exits meanwhile, with `diagnose()`. A
 * server that does not get there is killed: nobody could use or stop it.
 */
async function waitForServer(what: string, ms: number, server: Server, check: () => Promise<boolean>, diagnose: () => Promise<string>): Promise<void> {
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

// ------------------------------------------------------------------------------------ redis ---

async function redisInstance(slot: Slot): Promise<Instance> {
  const port = slot.ports.redis;
  const dir = join(slot.dir, 'redis');
  const logFile = join(dir, 'redis.log');
  let server: Server | undefined;
  let restarting: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    await mkdir(dir, { recursive: true });
    const args = ['--port', String(port), '--bind', host, '--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', '', '--daemonize', 'no', '--logfile', logFile];
    const started = await startServer('redis-server', args, { cwd: dir, pidFile: join(dir, 'server.pid') });
    server = started;
    await waitForServer(`Redis on ${host}:${port} to answer PING`, 30_000, started, () => redisPing(port), () => tail(logFile));
  };

  await launch();
  return {
    port,
    url: `redis://${host}:${port}`,
    restart() {
      // SIGKILL, a crash: with appendfsync always every acknowledged XADD and XACK is on disk.
      restarting ??= terminate(server, 'SIGKILL', 0)
        .then(() => sleep(redisDownMs))
        .then(launch)
        .finally(() => (restarting = undefined));
      return restarting;
    },
    stop: () => terminate(server, 'SIGTERM', 10_000),
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

// --------------------------------------------------------------------------------- rabbitmq ---

function rabbitNode(index: number): string {
  return `eventwire-faults-${index}@localhost`;
}

async function rabbitMqInstance(slot: Slot): Promise<Instance> {
  const { rabbitmq: port, dist } = slot.ports;
  const node = rabbitNode(slot.index);
  const dir = join(slot.dir, 'rabbitmq');
  const home = join(dir, 'home');
  const logDir = join(dir, 'log');
  const logFile = join(logDir, `${node}.log`);
  const bin = (name: string): string => [`/usr/lib/rabbitmq/bin/${name}`, `/usr/sbin/${name}`].find((path) => existsSync(path)) ?? name;
  // The node's own files only: the system's /etc/rabbitmq (its NODENAME, its 5672 listener, its
  // plugins) must not leak in. HOME holds the Erlang cookie shared by the node and rabbitmqctl.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: host,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: logDir,
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    // rabbitmq-server then execs the Erlang VM instead of running it under a shell that traps
    // signals: the child is the node itself, so its exit is the node's and SIGKILL reaches it.
    // -noinput: there is no console to read (ALLOW_INPUT would otherwise open one).
    RABBITMQ_ALLOW_INPUT: 'true',
    RABBITMQ_SERVER_START_ARGS: '-noinput',
    ERL_EPMD_ADDRESS: host,
    // A failing node or CLI writes its crash dump here, not into the working directory.
    ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
    ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const ctl = (args: string[], timeoutMs: number): Promise<string> => run(bin('rabbitmqctl'), ['-n', node, ...args], { env, cwd: dir, timeout: timeoutMs });
  let server: Server | undefined;
  let restarting: Promise<void> | undefined;

  await mkdir(home, { recursive: true });
  await mkdir(logDir, { recursive: true });
  await writeFile(join(home, '.erlang.cookie'), randomBytes(16).toString('hex').toUpperCase(), { mode: 0o400 });
  await writeFile(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = ${host}:${port}\n`);
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');

  const launch = async (): Promise<void> => {
    const started = await startServer(bin('rabbitmq-server'), [], { cwd: dir, env, pidFile: join(dir, 'server.pid') });
    server = started;
    // The AMQP listener opens last, when the node has booted: polling it is quick, where each
    // rabbitmqctl call costs a second or two. await_startup confirms.
    await waitForServer(`RabbitMQ on ${host}:${port} to accept connections`, 120_000, started, () => reachable(port), () => tail(logFile));
    await waitForServer(`RabbitMQ node ${node} to start`, 60_000, started, () => ctl(['await_startup', '--timeout', '30'], 40_000).then(() => true, () => false), () => tail(logFile));
  };

  await launch();
  return {
    port,
    url: `amqp://guest:guest@${host}:${port}`,
    restart() {
      restarting ??= terminate(server, 'SIGTERM', 60_000)
        .then(launch)
        .finally(() => (restarting = undefined));
      return restarting;
    },
    stop: () => terminate(server, 'SIGTERM', 30_000),
  };
}

// ------------------------------------------------------------------------------------ kafka ---

async function kafkaInstance(): Promise<Instance> {
  const port = 9092;
  const script = join(root, 'scripts', 'brokers.sh');
  const log = join(root, '.cache', 'kafka', 'kafka.log');
  // KAFKA_KEEP_DATA=1: a restart, not a fresh cluster. Without it brokers.sh wipes the data.
  const env = { ...process.env, KAFKA_KEEP_DATA: '1' };
  let restarting: Promise<void> | undefined;
  if (!(await reachable(port))) await run('bash', [script, 'up', 'kafka'], { env, timeout: 300_000 });
  return {
    port,
    url: `${host}:${port}`,
    restart() {
      restarting ??= (async () => {
        await run('bash', [script, 'down', 'kafka'], { env, timeout: 120_000 });
        if (await reachable(port)) {
          throw new Error(`Kafka on ${host}:${port} was not started by scripts/brokers.sh (no live .cache/kafka/kafka.pid), so the fault runner cannot restart it.`);
        }
        await run('bash', [script, 'up', 'kafka'], { env, timeout: 300_000 }).catch(async (error: unknown) => {
          throw new Error(`Kafka did not come back: ${String(error)}\n${await tail(log)}`);
        });
      })().finally(() => (restarting = undefined));
      return restarting;
    },
    async stop() {
      // Never: it is the project's broker, shared with the rest of the test suite.
    },
  };
}

// ---------------------------------------------------------------------------------- helpers ---

function run(file: string, args: string[], options: ExecFileOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000, ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) return resolve(String(stdout));
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${file} is not installed (or not on PATH)`));
      reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${String(stderr).trim()}`.trim()));
    });
  });
}

/** Polls `check` every 200 ms until it is true; throws after `ms` naming what was awaited. */
async function waitFor(what: string, ms: number, check: () => Promise<boolean>, diagnose?: () => Promise<string>): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() >= deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}${diagnose === undefined ? '' : `\n${await diagnose()}`}`);
    await sleep(200);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
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

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text === '' ? `(no log at ${file})` : `last lines of ${file}:\n${text.split('\n').slice(-lines).join('\n')}`;
}
