import { redactSecrets } from '../config/redact.js';

/** Where the CLI writes: `process.stdout` and `process.stderr` fit. */
export interface TextSink {
  write(text: string): unknown;
}

/** The signals the consumer command stops on. */
export type StopSignal = 'SIGTERM' | 'SIGINT';

/** Where the CLI listens for stop signals: `process` fits. */
export interface SignalSource {
  on(event: StopSignal, listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: StopSignal, listener: (signal: NodeJS.Signals) => void): unknown;
}

/**
 * What the CLI touches of its process, injectable so that `main` can run inside a test.
 * The environment is not part of it: the core reads `process.env` itself.
 *
 * @example
 * await main(['--version'], { ...defaultIo(), stdout: { write: (text) => out.push(text) } });
 */
export interface CliIo {
  readonly stdout: TextSink;
  readonly stderr: TextSink;
  /** Module paths on the command line are resolved against it. */
  readonly cwd: string;
  readonly signals: SignalSource;
  /** The Node.js options this process was started with (`process.execArgv`). */
  readonly execArgv: readonly string[];
}

/**
 * The real process's streams, directory and signals.
 *
 * @example
 * const io = defaultIo();
 */
export function defaultIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), signals: process, execArgv: process.execArgv };
}

/**
 * Writes one `eventwire: ` line to stderr. Multi-line text (a user error, a schema message) is
 * folded onto one line, and `scheme://user:password@` credentials are masked, whatever the
 * message's origin.
 *
 * @example
 * say(io, 'consuming orders.created as group billing');
 */
export function say(io: CliIo, text: string): void {
  io.stderr.write(`eventwire: ${redactSecrets(text.replace(/\s*\n\s*/g, ' ').trim())}\n`);
}

/**
 * The one-line description of a thrown value: its message for an Error (prefixed with its name
 * when that says more than "Error"), else its string form.
 *
 * @example
 * describeError(new TypeError('x is not a function')); // 'TypeError: x is not a function'
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.name === 'Error' || error.name === '' ? error.message : `${error.name}: ${error.message}`;
}

/**
 * Ends `text` with a full stop unless it already ends a sentence, so that a hint can follow.
 *
 * @example
 * sentence('boom'); // 'boom.'
 */
export function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}
