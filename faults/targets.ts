import { execFile, type ExecFileOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect as netConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createKafkaBroker } from '../adapters/kafka.js';
import { createMemoryBroker, createMemoryServer } from '../adapters/memory.js';
import { createRabbitMqBroker } from '../adapters/rabbitmq.js';
import { createRedisBroker } from '../adapters/redis.js';
import { silentLogger } from '../lib/index.js';
import type { FaultBroker, FaultTarget } from './types.js';

/**
 * Where the fault scenarios find their brokers: durable instances the runner owns and may
 * restart, never the machine's own brokers on the standard ports.
 *
 * | broker   | instance                                                                          |
 * |----------|-----------------------------------------------------------------------------------|
 * | redis    | `redis-server` on 127.0.0.1:6390, AOF with `appendfsync always`, in .cache/faults/redis. Restart = SIGKILL (a crash) then start: every acknowledged write is on disk. |
 * | rabbitmq | a second node `eventwire-faults@localhost` on 127.0.0.1:5673 (dist 25673), its own config, plugins, Mnesia and logs in .cache/faults/rabbitmq. Restart = `rabbitmqctl stop`, start, `await_startup`. The node on 5672 is never touched. |
 * | kafka    | the project's own broker on 127.0.0.1:9092 (`scripts/brokers.sh`). Restart = `brokers.sh down kafka` then `up kafka` with KAFKA_KEEP_DATA=1, so topics and offsets survive. Refused when 9092 is not that broker. |
 * | memory   | an in-process server; no restart.                                                  |
 *
 * `startTarget(broker)` makes the instance reachable and returns its {@link FaultTarget}: it
 * starts the instance, or uses the one already running. Each instance has an owner, the runner
 * process that started it, recorded in `<tmpdir>/eventwire-faults-<port>.owner`: the owner
 * stops it in `shutdown()`; a runner finding an instance whose owner died (a run killed before
 * its shutdown) becomes its owner, and one finding a live owner (a run in progress) leaves it to
 * that run. Two runs at once share the instances, and each one's restarts hit the other: run them
 * one at a time. Kafka is never stopped by `shutdown()`: it is the project's broker.
 *
 * @example
 * const target = await startTarget('redis');
 * const broker = target.connect();
 * await target.restart?.();
 * await shutdown();
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The Erlang cookie of the runner's RabbitMQ node (a local test node on 127.0.0.1 only). */
const erlangCookie = 'EVENTWIREFAULTSRUNNER';
const cacheDir = join(root, '.cache', 'faults');
const host = '127.0.0.1';

/** Ports of the durable instances. */
export const faultPorts = { redis: 6390, rabbitmq: 5673, kafka: 9092 } as const;

/** A durable instance: how to start, stop and restart it. */
interface Instance {
  readonly broker: Exclude<FaultBroker, 'memory'>;
  /** Makes it reachable; true when this call started it (false: it was running already). */
  start(): Promise<boolean>;
  /** False for an instance the runner must never stop (the project's Kafka). */
  readonly ownable: boolean;
  stop(): Promise<void>;
  restart(): Promise<void>;
}

const started = new Set<Instance>();
const instances = new Map<FaultBroker, Instance>();
const starting = new Map<FaultBroker, Promise<void>>();

/**
 * The target of one broker, without starting anything (its instance may be down: see
 * {@link startTarget}).
 *
 * @example
 * const target = faultTarget('memory');
 */
export function faultTarget(broker: FaultBroker): FaultTarget {
  switch (broker) {
    case 'memory': {
      const server = createMemoryServer();
      return { broker, url: 'memory://', port: undefined, connect: () => createMemoryBroker({ server }) };
    }
    case 'redis': {
      const port = faultPorts.redis;
      return {
        broker,
        url: `redis://${host}:${port}`,
        port,
        connect: (options = {}) => createRedisBroker({ url: `redis://${host}:${options.port ?? port}`, logger: silentLogger, ...options.tuning }),
        restart: () => instance('redis').restart(),
      };
    }
    case 'rabbitmq': {
      const port = faultPorts.rabbitmq;
      return {
        broker,
        url: `amqp://guest:guest@${host}:${port}`,
        port,
        connect: (options = {}) =>
          createRabbitMqBroker({ url: `amqp://guest:guest@${host}:${options.port ?? port}`, logger: silentLogger, ...options.tuning }),
        restart: () => instance('rabbitmq').restart(),
      };
    }
    case 'kafka': {
      const port = faultPorts.kafka;
      return {
        broker,
        url: `${host}:${port}`,
        port,
        connect: (options = {}) => {
          const tuning = options.tuning ?? {};
          const through = options.port;
          if (through === undefined) return createKafkaBroker({ brokers: [`${host}:${port}`], logger: silentLogger, ...tuning });
          // Kafka tells clients where each broker is (advertised.listeners = 127.0.0.1:9092), so a
          // proxy port alone would be left after the first metadata request. Every socket kafkajs
          // opens to 9092 goes to the proxy instead.
          const clientOptions = { ...(tuning.clientOptions as Record<string, unknown> | undefined), socketFactory: proxiedSockets(port, through) };
          return createKafkaBroker({ brokers: [`${host}:${through}`], logger: silentLogger, ...tuning, clientOptions });
        },
        restart: () => instance('kafka').restart(),
      };
    }
  }
}

/**
 * Makes the broker's durable instance reachable (started once per process, then reused) and
 * returns its target. Throws with the instance's log tail when it cannot start.
 *
 * @example
 * const target = await startTarget('rabbitmq');
 */
export async function startTarget(broker: FaultBroker): Promise<FaultTarget> {
  if (broker !== 'memory') {
    let pending = starting.get(broker);
    if (pending === undefined) {
      const own = instance(broker);
      pending = own.start().then(async (launched) => {
        if (own.ownable && (launched || (await orphaned(faultPorts[own.broker])))) {
          await writeFile(ownerFile(faultPorts[own.broker]), String(process.pid));
          started.add(own);
        }
      });
      // A failed start may be tried again by the next caller.
      pending.catch(() => starting.delete(broker));
      starting.set(broker, pending);
    }
    await pending;
  }
  return faultTarget(broker);
}

/**
 * Stops every instance this process started (Redis on 6390, the RabbitMQ node on 5673).
 * Kafka, the project's broker, is left running.
 *
 * @example
 * after(() => shutdown());
 */
export async function shutdown(): Promise<void> {
  const stopping = [...started].map(async (own) => {
    started.delete(own);
    starting.delete(own.broker);
    await own.stop();
    await rm(ownerFile(faultPorts[own.broker]), { force: true });
  });
  const results = await Promise.allSettled(stopping);
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Where the pid of the runner that owns the instance on `port` is kept (machine-wide). */
function ownerFile(port: number): string {
  return join(tmpdir(), `eventwire-faults-${port}.owner`);
}

/** True when the instance on `port` has no live owner: the run that started it is gone. */
async function orphaned(port: number): Promise<boolean> {
  const owner = await readPid(ownerFile(port));
  return owner === undefined || !alive(owner);
}

function instance(broker: FaultBroker): Instance {
  if (broker === 'memory') throw new Error('The memory broker has no instance to start or restart.');
  let own = instances.get(broker);
  if (own === undefined) {
    own = broker === 'redis' ? redisInstance() : broker === 'rabbitmq' ? rabbitMqInstance() : kafkaInstance();
    instances.set(broker, own);
  }
  return own;
}

// ------------------------------------------------------------------------------------ redis ---

function redisInstance(): Instance {
  const port = faultPorts.redis;
  const dir = join(cacheDir, 'redis');
  const pidFile = join(dir, 'redis.pid');
  const logFile = join(dir, 'redis.log');
  let restarting: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    await mkdir(dir, { recursive: true });
    await run('redis-server', [
      '--port', String(port), '--bind', host, '--dir', dir,
      '--appendonly', 'yes', '--appendfsync', 'always', '--save', '',
      '--daemonize', 'yes', '--pidfile', pidFile, '--logfile', logFile,
    ]);
    await waitFor(`Redis on ${host}:${port} to answer PING`, 30_000, () => redisPing(port), () => tail(logFile));
  };

  const kill = async (signal: NodeJS.Signals): Promise<void> => {
    // Redis names its own pid; the pid file is for a Redis too busy to answer.
    const pid = (await redisPid(port)) ?? (await readPid(pidFile));
    if (pid === undefined || !alive(pid)) {
      if (await reachable(port)) throw new Error(`Something answers on ${host}:${port} that is not the fault runner's Redis.`);
      return;
    }
    process.kill(pid, signal);
    await waitFor(`Redis (pid ${pid}) to exit`, 30_000, async () => !alive(pid) && !(await reachable(port)));
  };

  return {
    broker: 'redis',
    ownable: true,
    async start() {
      if (await redisPing(port)) return false;
      if (await reachable(port)) throw new Error(`${host}:${port} is taken by something that is not Redis; the fault runner needs it.`);
      // Each runner starts empty; within a run the data survives every restart.
      await rm(dir, { recursive: true, force: true });
      await launch();
      return true;
    },
    async stop() {
      await kill('SIGTERM');
    },
    restart() {
      // SIGKILL, a crash: with appendfsync always every acknowledged XADD and XACK is on disk.
      restarting ??= kill('SIGKILL').then(launch).finally(() => (restarting = undefined));
      return restarting;
    },
  };
}

/** True once Redis answers PING with PONG (not while it loads its AOF). */
async function redisPing(port: number): Promise<boolean> {
  return (await redisCommand(port, 'PING', (reply) => reply.includes('\r\n')))?.startsWith('+PONG') ?? false;
}

/** The pid of the Redis on `port`, from INFO server. */
async function redisPid(port: number): Promise<number | undefined> {
  const reply = await redisCommand(port, 'INFO server', (text) => /process_id:\d+\r\n/.test(text));
  const pid = Number(/process_id:(\d+)/.exec(reply ?? '')?.[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Sends one inline command; resolves with the reply once `complete(reply)`, or undefined. */
function redisCommand(port: number, command: string, complete: (reply: string) => boolean): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    let reply = '';
    const done = (value: string | undefined): void => {
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(1000, () => done(undefined));
    socket.once('error', () => done(undefined));
    socket.once('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (complete(reply)) done(reply);
    });
  });
}

// --------------------------------------------------------------------------------- rabbitmq ---

function rabbitMqInstance(): Instance {
  const port = faultPorts.rabbitmq;
  const node = 'eventwire-faults@localhost';
  const dir = join(cacheDir, 'rabbitmq');
  const home = join(dir, 'home');
  const logDir = join(dir, 'log');
  const logFile = join(logDir, `${node}.log`);
  const bin = (name: string): string => (existsSync(`/usr/lib/rabbitmq/bin/${name}`) ? `/usr/lib/rabbitmq/bin/${name}` : existsSync(`/usr/sbin/${name}`) ? `/usr/sbin/${name}` : name);
  // The node's own files only: the system's /etc/rabbitmq (its NODENAME, its 5672 listener, its
  // plugins) must not leak in. HOME holds the Erlang cookie shared by the node and rabbitmqctl.
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: host,
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: '25673',
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: logDir,
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    ERL_EPMD_ADDRESS: host,
    // A failing node or CLI writes its crash dump here, not into the working directory.
    ERL_CRASH_DUMP: join(dir, 'erl_crash.dump'),
    ERL_FLAGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const ctl = async (args: string[], timeoutMs = 60_000): Promise<string> => {
    await cookie();
    return run(bin('rabbitmqctl'), ['-n', node, ...args], { env, cwd: dir, timeout: timeoutMs });
  };
  // A fixed cookie: the runner of any checkout can then control a node another one started.
  const cookie = async (): Promise<void> => {
    const file = join(home, '.erlang.cookie');
    if ((await readFile(file, 'utf8').catch(() => '')) === erlangCookie) return;
    await mkdir(home, { recursive: true });
    await rm(file, { force: true });
    await writeFile(file, erlangCookie, { mode: 0o400 });
  };
  let pid: number | undefined;
  let restarting: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    await cookie();
    await writeFile(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = ${host}:${port}\n`);
    await writeFile(join(dir, 'rabbitmq-env.conf'), '');
    await writeFile(join(dir, 'enabled_plugins'), '[].\n');
    await run(bin('rabbitmq-server'), ['-detached'], { env, cwd: dir });
    // -detached returns at once. The AMQP listener opens last, when the node has booted: polling
    // it is quick, where each rabbitmqctl call costs a second or two. await_startup confirms.
    await waitFor(`RabbitMQ on ${host}:${port} to accept connections`, 120_000, () => reachable(port), () => tail(logFile));
    await waitFor(`RabbitMQ node ${node} to start`, 60_000, () => ctl(['await_startup', '--timeout', '30'], 40_000).then(() => true, () => false), () => tail(logFile));
    pid = Number((await ctl(['eval', 'list_to_integer(os:getpid()).'])).trim());
  };

  const halt = async (): Promise<void> => {
    if (pid === undefined) {
      const reply = await ctl(['eval', 'list_to_integer(os:getpid()).'], 20_000).catch(() => undefined);
      if (reply === undefined) return;
      pid = Number(reply.trim());
    }
    const running = pid;
    await ctl(['stop']).catch(() => undefined);
    await waitFor(`RabbitMQ node ${node} (pid ${running}) to exit`, 60_000, async () => !alive(running) && !(await reachable(port)));
    pid = undefined;
  };

  return {
    broker: 'rabbitmq',
    ownable: true,
    async start() {
      if (await ctl(['await_startup', '--timeout', '5'], 15_000).then(() => true, () => false)) {
        pid = Number((await ctl(['eval', 'list_to_integer(os:getpid()).'])).trim());
        return false;
      }
      if (await reachable(port)) throw new Error(`${host}:${port} is taken by something that is not the fault runner's RabbitMQ node.`);
      await rm(join(dir, 'mnesia'), { recursive: true, force: true });
      await launch();
      return true;
    },
    stop: halt,
    restart() {
      restarting ??= halt().then(launch).finally(() => (restarting = undefined));
      return restarting;
    },
  };
}

// ------------------------------------------------------------------------------------ kafka ---

function kafkaInstance(): Instance {
  const port = faultPorts.kafka;
  const script = join(root, 'scripts', 'brokers.sh');
  const log = join(root, '.cache', 'kafka', 'kafka.log');
  // KAFKA_KEEP_DATA=1: a restart, not a fresh cluster. Without it brokers.sh wipes the data.
  const env = { ...process.env, KAFKA_KEEP_DATA: '1' };
  let restarting: Promise<void> | undefined;
  return {
    broker: 'kafka',
    ownable: false,
    async start() {
      if (await reachable(port)) return false;
      await run('bash', [script, 'up', 'kafka'], { env, timeout: 300_000 });
      return false; // the project's broker: left running by shutdown()
    },
    async stop() {
      // Never: see shutdown().
    },
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
  };
}

/** kafkajs socket factory that sends every connection meant for `port` to `proxyPort`. */
function proxiedSockets(port: number, proxyPort: number) {
  return ({ host: to, port: toPort, onConnect }: { host: string; port: number; onConnect: () => void }): Socket => {
    const socket = netConnect({ host: to, port: toPort === port ? proxyPort : toPort }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}

// ---------------------------------------------------------------------------------- helpers ---

function run(file: string, args: string[], options: ExecFileOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000, ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) return resolve(String(stdout));
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(new Error(`${file} is not installed (or not on PATH): the fault runner starts its own broker instances with it (Debian/Ubuntu: apt-get install redis-server rabbitmq-server)`));
      }
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

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
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

async function tail(file: string, lines = 30): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text === '' ? `(no log at ${file})` : `last lines of ${file}:\n${text.split('\n').slice(-lines).join('\n')}`;
}
