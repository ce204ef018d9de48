/**
 * A consumer in a process of its own, for the fault scenarios that kill or stop one.
 *
 *   FAULT_BROKER=redis FAULT_URL=redis://127.0.0.1:6379 FAULT_TOPIC=t FAULT_GROUP=g \
 *   FAULT_BEHAVIOUR=block node --import tsx tools/faults/worker.ts
 *
 * Environment: FAULT_BROKER (redis, rabbitmq, kafka), FAULT_URL (the broker's address, a
 * bootstrap list for Kafka), FAULT_TOPIC, FAULT_GROUP, FAULT_BEHAVIOUR (`work`, `sleep:<ms>`,
 * `block`), FAULT_CONCURRENCY (default 1), FAULT_TUNING (JSON: the adapter's `brokerOptions`).
 *
 * It consumes `{ "id": "…" }` messages and reports on stdout, one line each: `ready` once the
 * consumer runs, `started <id>` when a handler begins, `handled <id>` when it succeeded. `block`
 * reports `started` and never finishes: the process is there to be killed. SIGTERM closes the
 * instance (draining) and exits 0.
 *
 * The scenarios import this module for {@link spawnWorker} and {@link spawnLines}; its consumer
 * runs only when it is the process's entry point.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { consoleLogger, createMessaging, type MessagingOptions } from '../../entry/index.js';
import { onLines } from '../../test/support/lines.js';
import type { RealBroker } from './types.js';

/** What a worker (or the CLI fixture) is told through its environment. */
export interface WorkerConfig {
  readonly broker: RealBroker;
  readonly url: string;
  readonly topic: string;
  readonly group: string;
  readonly behaviour: string;
  readonly concurrency: number;
  readonly tuning: Readonly<Record<string, unknown>>;
}

/** The repository root: child processes run there so that `--import tsx` resolves. */
export const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url));
const workerFile = fileURLToPath(import.meta.url);

/**
 * Reads a {@link WorkerConfig} from the environment; a missing or wrong variable throws.
 *
 * @example
 * const config = workerConfig(process.env);
 */
export function workerConfig(env: NodeJS.ProcessEnv): WorkerConfig {
  const need = (name: string): string => {
    const value = env[name];
    if (value === undefined || value === '') throw new Error(`${name} is not set`);
    return value;
  };
  const broker = need('FAULT_BROKER');
  if (broker !== 'redis' && broker !== 'rabbitmq' && broker !== 'kafka') throw new Error(`FAULT_BROKER must be redis, rabbitmq or kafka, got ${broker}`);
  const concurrency = Number(env.FAULT_CONCURRENCY ?? '1');
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) throw new Error(`FAULT_CONCURRENCY must be a positive integer, got ${env.FAULT_CONCURRENCY}`);
  const tuning = JSON.parse(env.FAULT_TUNING ?? '{}') as unknown;
  if (typeof tuning !== 'object' || tuning === null || Array.isArray(tuning)) throw new Error('FAULT_TUNING must be a JSON object');
  return {
    broker,
    url: need('FAULT_URL'),
    topic: need('FAULT_TOPIC'),
    group: need('FAULT_GROUP'),
    behaviour: env.FAULT_BEHAVIOUR ?? 'work',
    concurrency,
    tuning: tuning as Record<string, unknown>,
  };
}

/**
 * The environment that hands `config` to a worker or to the CLI fixture.
 *
 * @example
 * spawnLines('worker', [workerFile], workerEnvironment(config));
 */
export function workerEnvironment(config: WorkerConfig): Record<string, string> {
  return {
    FAULT_BROKER: config.broker,
    FAULT_URL: config.url,
    FAULT_TOPIC: config.topic,
    FAULT_GROUP: config.group,
    FAULT_BEHAVIOUR: config.behaviour,
    FAULT_CONCURRENCY: String(config.concurrency),
    FAULT_TUNING: JSON.stringify(config.tuning),
  };
}

/**
 * `createMessaging` options for a worker's broker: the address, the tuning as `brokerOptions`,
 * warnings and errors on stderr.
 *
 * @example
 * const messaging = createMessaging(messagingOptions(workerConfig(process.env)));
 */
export function messagingOptions(config: WorkerConfig): MessagingOptions {
  const address = config.broker === 'kafka' ? { bootstrapServers: config.url } : { url: config.url };
  return { broker: config.broker, ...address, brokerOptions: config.tuning, source: 'eventwire-faults', logger: consoleLogger };
}

/**
 * The handler behaviour named by `FAULT_BEHAVIOUR`, writing `started`/`handled` lines.
 *
 * @example
 * const handle = behaviourHandler('sleep:50', (line) => process.stdout.write(`${line}\n`));
 */
export function behaviourHandler(behaviour: string, report: (line: string) => void): (message: unknown) => Promise<void> {
  const sleepMs = /^sleep:(\d+)$/.exec(behaviour)?.[1];
  if (behaviour !== 'work' && behaviour !== 'block' && sleepMs === undefined) throw new Error(`unknown FAULT_BEHAVIOUR ${behaviour}`);
  return async (message) => {
    const { id } = message as { id: string };
    report(`started ${id}`);
    if (behaviour === 'block') await new Promise<never>(() => {});
    if (sleepMs !== undefined) await sleep(Number(sleepMs));
    report(`handled ${id}`);
  };
}

/** A line a child process wrote, stamped with the time it arrived. */
export interface Line {
  readonly text: string;
  readonly at: number;
}

/** A child process whose output is read line by line. */
export interface LineProcess {
  readonly name: string;
  readonly child: ChildProcessWithoutNullStreams;
  /** Every stdout line so far, in order. */
  readonly lines: readonly Line[];
  /** Every stderr line so far, in order. */
  readonly stderr: readonly Line[];
  /** Called for each stdout line from now on. */
  onLine(listener: (text: string, at: number) => void): void;
  /** The first line of `stream` (seen already or to come) matching `pattern`; rejects after `ms` or at exit. */
  waitForLine(pattern: RegExp, ms: number, stream?: 'stdout' | 'stderr'): Promise<Line>;
  /** Resolves with the first non-undefined result of `check`, run now and after each line; rejects after `ms` or at exit. */
  waitFor<T>(check: () => T | undefined, ms: number, what: string): Promise<T>;
  /** Settles once the process exited and its output was read; `at` is when. */
  readonly exited: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly at: number }>;
  /** SIGTERM, then SIGKILL if it is still running after `ms`. */
  stop(ms?: number): Promise<void>;
}

const brokerVariables = /^(MESSAGING_|KAFKA_|RABBITMQ_|REDIS_|FAULT_)/;

/**
 * Starts `node --import tsx <args>` in the repository root with `env` added to ours (minus any
 * broker variables of ours, which must not leak into the child).
 *
 * @example
 * const cli = spawnLines('cli', ['entry/bin.ts', 'consumer', 'tools/faults/fixtures/drain-worker.ts'], env);
 */
export function spawnLines(name: string, args: readonly string[], env: Record<string, string>): LineProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([key]) => !brokerVariables.test(key)));
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: repositoryRoot, env: { ...inherited, ...env } });
  child.stdin.end();
  const output = { stdout: [] as Line[], stderr: [] as Line[] };
  // Called with (stream, line) for each line, and with no line once the process ended.
  const listeners = new Set<(stream: 'stdout' | 'stderr', line?: Line) => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    onLines(child[stream], (text) => {
      const line = { text, at: Date.now() };
      output[stream].push(line);
      for (const listener of listeners) listener(stream, line);
    });
  }
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((done) =>
    child.on('close', (code, signal) => {
      ended = true;
      for (const listener of listeners) listener('stdout');
      done({ code, signal, at: Date.now() });
    }),
  );
  const transcript = (): string =>
    ['stdout', 'stderr'].map((stream) => `\n--- ${name} ${stream} (last 20 lines) ---\n${output[stream as 'stdout'].slice(-20).map((line) => line.text).join('\n')}`).join('');

  return {
    name,
    child,
    lines: output.stdout,
    stderr: output.stderr,
    onLine(listener) {
      listeners.add((stream, line) => {
        if (stream === 'stdout' && line !== undefined) listener(line.text, line.at);
      });
    },
    waitForLine(pattern, ms, stream = 'stdout') {
      return this.waitFor(() => output[stream].find((line) => pattern.test(line.text)), ms, `a ${stream} line matching ${pattern}`);
    },
    waitFor(check, ms, what) {
      const now = check();
      if (now !== undefined) return Promise.resolve(now);
      return new Promise((found, fail) => {
        const timer = setTimeout(() => settle(() => fail(new Error(`${name}: no ${what} within ${ms} ms${transcript()}`))), ms);
        const listener = (): void => {
          const result = check();
          if (result !== undefined) settle(() => found(result));
          else if (ended) settle(() => fail(new Error(`${name} exited without ${what}${transcript()}`)));
        };
        const settle = (outcome: () => void): void => {
          clearTimeout(timer);
          listeners.delete(listener);
          outcome();
        };
        listeners.add(listener);
        if (ended) listener();
      });
    },
    exited,
    async stop(ms = 5_000) {
      let timer: NodeJS.Timeout | undefined;
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        timer = setTimeout(() => child.kill('SIGKILL'), ms);
      }
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts a worker process (this file) for `config`.
 *
 * @example
 * const worker = spawnWorker('victim', { ...config, behaviour: 'block' }); await worker.waitForLine(/^ready$/, 30_000);
 */
export function spawnWorker(name: string, config: WorkerConfig): LineProcess {
  return spawnLines(name, [workerFile], workerEnvironment(config));
}

async function runWorker(): Promise<void> {
  const config = workerConfig(process.env);
  const messaging = createMessaging(messagingOptions(config));
  const handle = behaviourHandler(config.behaviour, (line) => process.stdout.write(`${line}\n`));
  messaging.messageHandler(
    // No retries: a failure is the broker's redelivery to observe, not ours.
    { topic: config.topic, groupId: config.group, concurrency: config.concurrency, maxRetries: 0, retryDelayMs: 0 },
    async function faultWorker(message) {
      await handle(message);
    },
  );
  process.once('SIGTERM', () => {
    messaging
      .close({ timeoutMs: 3_000 })
      .catch((error: unknown) => process.stderr.write(`worker: close failed: ${String(error)}\n`))
      .finally(() => process.exit(0));
  });
  await messaging.runConsumers();
  process.stdout.write('ready\n');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  await runWorker();
}
