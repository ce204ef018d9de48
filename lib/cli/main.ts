import { runConsumerCommand, type ConsumerCommand } from './consumer-command.js';
import { CliExit, exitCodes } from './exit.js';
import { MissingDependencyError } from '../errors/index.js';
import { healthAddress } from './health-address.js';
import { consumerHelp, generalHelp } from './help.js';
import { packageVersion } from '../config/package-version.js';
import { longestTimerMs } from '../config/expect-delay.js';
import { defaultIo, say, type CliIo } from './io.js';
import { parseOptions } from './parse-options.js';
import type { CliExtensions, OutboxRelayBeside } from './beside.js';

/**
 * A command the core does not define, handed to {@link main} by the entry point (`outbox`,
 * whose driver lib/ must not import): it receives the arguments after its name.
 *
 * @example
 * const commands: Record<string, CliCommand> = { outbox: runOutboxCommand };
 */
export type CliCommand = (argv: readonly string[], io: CliIo) => Promise<number>;

/**
 * The `eventwire` command line: `eventwire consumer <module>... [--topic X]... [--grace-ms N] [--health-port P [--health-host H]] [--outbox-relay [--outbox-table T]]`,
 * `eventwire --help`, `eventwire consumer --help`, `eventwire --version`. Resolves with the
 * exit code (0 clean stop, 1 runtime failure, 2 usage error, 3 a module failed to import) and
 * never throws; expected failures are one `eventwire: ` line on stderr, without a stack trace.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}, commands: Readonly<Record<string, CliCommand>> = {}, extensions: CliExtensions = {}): Promise<number> {
  const cli: CliIo = { ...defaultIo(), ...io };
  try {
    const [name] = argv;
    const command = name !== undefined && Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (command !== undefined) return await command(argv.slice(1), cli);
    return await dispatch(argv, cli, Object.keys(commands), extensions);
  } catch (error) {
    if (error instanceof CliExit) {
      say(cli, error.message);
      return error.exitCode;
    }
    // An optional package the command needs is not installed: the message names it, no stack.
    if (error instanceof MissingDependencyError) {
      say(cli, error.message);
      return exitCodes.failure;
    }
    // A bug in the CLI or the core, not a user mistake: the stack helps whoever reports it.
    cli.stderr.write(`eventwire: unexpected error, please report it: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return exitCodes.failure;
  }
}

async function dispatch(argv: readonly string[], io: CliIo, extra: readonly string[], extensions: CliExtensions): Promise<number> {
  if (argv[0] === 'consumer') return consumer(argv.slice(1), io, extensions);
  const { values, positionals } = parseOptions(
    argv,
    {
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean', short: 'v' },
    },
    'eventwire --help',
  );
  if (values.help === true) {
    io.stdout.write(generalHelp());
    return exitCodes.ok;
  }
  if (values.version === true) {
    io.stdout.write(`${packageVersion()}\n`);
    return exitCodes.ok;
  }
  const [command] = positionals;
  if (command === undefined) {
    throw new CliExit(exitCodes.usage, 'no command given. Usage: eventwire consumer <module>... [--topic <topic>]... [--grace-ms <ms>]; see eventwire --help.');
  }
  const names = ['consumer', ...extra].map((name) => `"${name}"`).join(', ');
  throw new CliExit(exitCodes.usage, `unknown command "${command}". The commands are ${names}; see eventwire --help.`);
}

async function consumer(argv: readonly string[], io: CliIo, extensions: CliExtensions): Promise<number> {
  const { values, positionals } = parseOptions(
    argv,
    {
      topic: { type: 'string', multiple: true },
      'grace-ms': { type: 'string' },
      'health-port': { type: 'string' },
      'health-host': { type: 'string' },
      'outbox-relay': { type: 'boolean' },
      'outbox-table': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    'eventwire consumer --help',
  );
  if (values.help === true) {
    io.stdout.write(consumerHelp());
    return exitCodes.ok;
  }
  if (positionals.length === 0) {
    throw new CliExit(
      exitCodes.usage,
      'no module given: name the module(s) that register your handlers, e.g. eventwire consumer ./dist/consumers.js; see eventwire consumer --help.',
    );
  }
  const command: ConsumerCommand = {
    modules: positionals,
    topics: (values.topic as string[] | undefined) ?? [],
    graceMs: graceMs(values['grace-ms'] as string | undefined),
    health: healthAddress(values['health-port'] as string | undefined, values['health-host'] as string | undefined),
    outboxRelay: outboxRelay(values['outbox-relay'] === true, values['outbox-table'] as string | undefined),
  };
  return runConsumerCommand(command, io, extensions);
}

function graceMs(value: string | undefined): number {
  if (value === undefined) return 30_000;
  const ms = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms > longestTimerMs) {
    throw new CliExit(exitCodes.usage, `--grace-ms must be a whole number of milliseconds from 0 to ${longestTimerMs}, such as 30000, got ${JSON.stringify(value)}.`);
  }
  return ms;
}

function outboxRelay(enabled: boolean, table: string | undefined): OutboxRelayBeside | undefined {
  if (!enabled && table !== undefined) {
    throw new CliExit(exitCodes.usage, '--outbox-table names the table of the relay that --outbox-relay runs: add --outbox-relay, or drop --outbox-table.');
  }
  return enabled ? { table: table ?? 'eventwire_outbox' } : undefined;
}
