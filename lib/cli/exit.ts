/**
 * The CLI's exit codes, a public contract listed in `eventwire --help`: scripts and
 * orchestrators tell "fix the invocation" (2) and "fix the module" (3) from "retry later" (1).
 *
 * @example
 * process.exitCode = exitCodes.usage;
 */
export const exitCodes = {
  /** Stopped cleanly after SIGTERM/SIGINT (or nothing went wrong). */
  ok: 0,
  /** Runtime failure: broker unreachable, subscription failed, grace period exceeded. */
  failure: 1,
  /** The invocation or configuration is wrong; running it again unchanged fails again. */
  usage: 2,
  /** A module given on the command line failed to import. */
  importFailed: 3,
} as const;

/** One of {@link exitCodes}. */
export type ExitCode = (typeof exitCodes)[keyof typeof exitCodes];

/**
 * An expected way for a command to end: `main` prints `message` as one `eventwire: ` line on
 * stderr, without a stack trace, and returns `exitCode`.
 *
 * @example
 * throw new CliExit(exitCodes.usage, 'no module given: name the module(s) that register your handlers.');
 */
export class CliExit extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message: string,
  ) {
    super(message);
    this.name = 'CliExit';
  }
}
