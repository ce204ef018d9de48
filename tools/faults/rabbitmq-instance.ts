import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from './command.js';
import { host, reachable } from '../../test/support/probe.js';
import { ServerProcess } from './server.js';
import type { Slot } from './slot.js';
import type { Instance } from './types.js';

/**
 * The run's own RabbitMQ node: `eventwire-faults-<slot>@localhost`, a child process listening for
 * AMQP on 127.0.0.1:(22000 + slot), Erlang distribution on (23000 + slot), with its own
 * configuration, no plugins, and its data, logs, Erlang cookie and pid file in
 * `<slot dir>/rabbitmq`. Nothing of the system's /etc/rabbitmq (its node name, its 5672
 * listener, its plugins) applies to it.
 *
 * - Ready once its AMQP port accepts connections (120 s at most) and `rabbitmqctl await_startup`
 *   confirms (60 s); otherwise it is killed and the start throws with the tail of its log.
 * - `restart()` is RabbitMQ's graceful stop, SIGTERM (SIGKILL after 60 s), then a start that
 *   waits as above (`downMs` after the stop, when given). Concurrent calls share one restart.
 * - `stop()` sends SIGTERM, then SIGKILL after 30 s, and resolves once it exited.
 */

/**
 * Starts the RabbitMQ node of `slot` and resolves once it has booted.
 *
 * @example
 * const rabbit = await rabbitMqInstance(await takeSlot()); await rabbit.restart();
 */
export async function rabbitMqInstance(slot: Slot): Promise<Instance> {
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
  const ctl = (args: string[], timeoutMs: number): Promise<string> => runCommand(bin('rabbitmqctl'), ['-n', node, ...args], { env, cwd: dir, timeout: timeoutMs });
  let server: ServerProcess | undefined;
  let restarting: Promise<void> | undefined;

  await mkdir(home, { recursive: true });
  await mkdir(logDir, { recursive: true });
  await writeFile(join(home, '.erlang.cookie'), randomBytes(16).toString('hex').toUpperCase(), { mode: 0o400 });
  await writeFile(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = ${host}:${port}\n`);
  await writeFile(join(dir, 'rabbitmq-env.conf'), '');
  await writeFile(join(dir, 'enabled_plugins'), '[].\n');

  const launch = async (): Promise<void> => {
    const started = await ServerProcess.start(bin('rabbitmq-server'), [], { cwd: dir, env, pidFile: join(dir, 'server.pid'), logFile });
    server = started;
    // The AMQP listener opens last, when the node has booted: polling it is quick, where each
    // rabbitmqctl call costs a second or two. await_startup confirms.
    await started.waitUntil(`RabbitMQ on ${host}:${port} to accept connections`, 120_000, () => reachable(port));
    await started.waitUntil(`RabbitMQ node ${node} to start`, 60_000, () => ctl(['await_startup', '--timeout', '30'], 40_000).then(() => true, () => false));
  };

  await launch();
  return {
    port,
    url: `amqp://guest:guest@${host}:${port}`,
    restart(options = {}) {
      restarting ??= (server?.stop('SIGTERM', 60_000) ?? Promise.resolve())
        .then(() => sleep(options.downMs ?? 0))
        .then(launch)
        .finally(() => (restarting = undefined));
      return restarting;
    },
    stop: async () => server?.stop('SIGTERM', 30_000),
  };
}

function rabbitNode(index: number): string {
  return `eventwire-faults-${index}@localhost`;
}
