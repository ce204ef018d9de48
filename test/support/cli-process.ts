import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onLines } from './lines.js';
import { withTimeout } from './wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = fileURLToPath(new URL('../../entry/bin.ts', import.meta.url));
const lineTimeoutMs = 15_000;
const brokerVariables = /^(MESSAGING_|KAFKA_|RABBITMQ_|REDIS_)/;

/** How the CLI process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * A CLI child process with its output collected line by line.
 *
 * @example
 * const cli = runCli(['consumer', 'test/fixtures/cli/echo.ts']);
 * await cli.waitForLine('stderr', /consuming/); cli.child.kill('SIGTERM');
 */
export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves once the process exited and its output was read to the end. */
  readonly exited: Promise<Exit>;
  /** Resolves with the first line of `stream` (already seen or to come) matching `pattern`. */
  waitForLine(stream: 'stdout' | 'stderr', pattern: RegExp, ms?: number): Promise<string>;
  /** Writes one command line to the fixture's stdin (see test/fixtures/cli/commands.ts). */
  send(line: string): void;
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** Broker variables for the child; default `{ MESSAGING_BROKER: 'memory' }`. Ours are never inherited. */
  readonly env?: Record<string, string>;
  /** Default: the repository root. */
  readonly cwd?: string;
  /** Closes the child's stdin at once, so that fixtures hold no handle on it. */
  readonly closeStdin?: boolean;
  /**
   * `node` (default): `node --import tsx entry/bin.ts …`, the form the README gives. `npm`: the
   * same command run by npm with bash as its script shell, as `npm run` does where /bin/sh is
   * bash (macOS): npm forwards the signals it receives to the CLI, which also receives the
   * terminal's. Either way the child leads a process group of its own, for {@link interruptGroup}.
   */
  readonly launcher?: 'node' | 'npm';
  /** Modules the child preloads after tsx (`--import`), as an application registers its OpenTelemetry SDK. */
  readonly preload?: readonly string[];
}

/**
 * Starts `node --import tsx entry/bin.ts <args>` as a real child process.
 *
 * @example
 * const cli = runCli(['--help']); const { code } = await finish(cli);
 */
export function runCli(args: readonly string[], options: RunCliOptions = {}): RunningCli {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !brokerVariables.test(name)));
  const command = [process.execPath, '--import', 'tsx', ...(options.preload ?? []).flatMap((module) => ['--import', module]), bin, ...args];
  const [file, argv] = options.launcher === 'npm' ? ['npm', ['exec', '--script-shell=bash', '-c', command.map(quote).join(' ')]] : [command[0] as string, command.slice(1)];
  const child = spawn(file, argv, {
    cwd: options.cwd ?? root,
    env: { ...inherited, ...(options.env ?? { MESSAGING_BROKER: 'memory' }) },
    detached: options.launcher !== undefined,
  });
  if (options.closeStdin === true) child.stdin.end();
  const lines = { stdout: [] as string[], stderr: [] as string[] };
  const waiters = new Set<() => void>();
  for (const stream of ['stdout', 'stderr'] as const) {
    onLines(child[stream], (line) => {
      lines[stream].push(line);
      for (const wake of waiters) wake();
    });
  }
  let done = false;
  const exited = new Promise<Exit>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  void exited.then(() => {
    done = true;
    for (const wake of waiters) wake();
  });
  const transcript = (): string => `\n--- stdout ---\n${lines.stdout.join('\n')}\n--- stderr ---\n${lines.stderr.join('\n')}`;

  return {
    child,
    stdout: lines.stdout,
    stderr: lines.stderr,
    exited,
    waitForLine(stream, pattern, ms = lineTimeoutMs) {
      let wake = (): void => {};
      const found = new Promise<string>((resolve, reject) => {
        wake = () => {
          const line = lines[stream].find((candidate) => pattern.test(candidate));
          if (line !== undefined) resolve(line);
          else if (done) reject(new Error(`The CLI exited before printing ${pattern} on ${stream}${transcript()}`));
        };
        waiters.add(wake);
        wake();
      });
      return withTimeout(found, ms, `${pattern} on ${stream}${transcript()}`).finally(() => waiters.delete(wake));
    },
    send(line) {
      child.stdin.write(`${line}\n`);
    },
  };
}

/**
 * Sends `signal` to the CLI's whole process group, as a terminal does on Ctrl-C: the CLI and
 * its launcher each receive it. Needs a `launcher` option (a process group of its own).
 *
 * @example
 * interruptGroup(runCli(['consumer', 'worker.ts'], { launcher: 'node' }));
 */
export function interruptGroup(cli: RunningCli, signal: NodeJS.Signals = 'SIGINT'): void {
  process.kill(-(cli.child.pid as number), signal);
}

/** Ends the CLI and anything its launcher started, whatever state a failed test left it in. */
export function killCli(cli: RunningCli): void {
  if (cli.child.exitCode !== null || cli.child.signalCode !== null) return;
  try {
    process.kill(-(cli.child.pid as number), 'SIGKILL');
  } catch {
    cli.child.kill('SIGKILL'); // not a group leader: started without a launcher
  }
}

function quote(argument: string): string {
  return `'${argument.replaceAll("'", "'\\''")}'`;
}

/**
 * Waits for the CLI to exit and returns how, with its whole output.
 *
 * @example
 * const { code, stderr } = await finish(runCli(['consumer']));
 */
export async function finish(cli: RunningCli, ms = lineTimeoutMs): Promise<Exit & { stdout: string; stderr: string }> {
  const exit = await withTimeout(cli.exited, ms, 'the CLI to exit');
  return { ...exit, stdout: cli.stdout.join('\n'), stderr: cli.stderr.join('\n') };
}
