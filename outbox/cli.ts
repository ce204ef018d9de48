import { CliExit, exitCodes } from '../lib/cli/exit.js';
import { say, sentence, type CliIo } from '../lib/cli/io.js';
import { parseOptions, type OptionSpec, type ParsedOptions } from '../lib/cli/parse-options.js';
import { consoleLogger } from '../lib/config/logger.js';
import { redactUrl } from '../lib/config/redact.js';
import { createOutboxOrExit, databaseUrl, endPool } from './cli-outbox.js';
import { createPgPool } from './pg-pool.js';
import { runRelayCommand } from './relay-command.js';
import { defaultTable } from './table-name.js';

const usage = `Usage: eventwire outbox migrate [--table <name>]
       eventwire outbox relay [<module>...] [--table <name>] [--batch-size <n>]
                              [--batches-in-flight <n>] [--poll-interval-ms <ms>]
                              [--grace-ms <ms>]`;

/** The text of `eventwire outbox --help`. */
export function outboxHelp(): string {
  return `${usage}

migrate  Creates the outbox table, its failed table, the inbox table of handled event
         ids, their indexes, and the insert trigger with its notify function in the
         database DATABASE_URL names, unless they exist. Safe to run at every deploy.
relay    Publishes the events staged in the table to the broker configured in the
         environment (MESSAGING_BROKER, ...) or by the modules given, until SIGTERM or
         SIGINT; then finishes the batch in flight and exits 0. Several may run at once.

Options:
  --table <name>           The outbox table, optionally schema-qualified. Default: ${defaultTable}.
  --batch-size <n>         Rows per transaction. Default: 100.
  --batches-in-flight <n>  Batches at once, each in its own transaction (1 to 16). Default: 1.
  --poll-interval-ms <ms>  Read the table this often when no notification came. Default: 1000.
  --grace-ms <ms>          After SIGTERM or SIGINT, how long the batch in flight may take.
                           Default: 30000.
  -h, --help               Show this help.

Environment:
  DATABASE_URL  postgres://user:password@host:5432/database (required).
  MESSAGING_BROKER and the broker's address, as for eventwire consumer.

Exit codes: 0 stopped cleanly; 1 runtime failure (database or broker unreachable, grace
period passed); 2 usage error (no DATABASE_URL, unknown option, no table: run migrate);
3 a module failed to import.
`;
}

/**
 * `eventwire outbox <migrate|relay>`: the command entry/bin.ts hands to the CLI. `pg` is loaded
 * only here, so that lib/ never imports it.
 *
 * @example
 * const code = await runOutboxCommand(['migrate'], defaultIo());
 */
export async function runOutboxCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(argv);
  const [action, ...modules] = positionals;
  if (values.help === true) {
    io.stdout.write(outboxHelp());
    return exitCodes.ok;
  }
  if (action !== 'migrate' && action !== 'relay') {
    const what = action === undefined ? 'no outbox command given' : `unknown outbox command "${action}"`;
    throw new CliExit(exitCodes.usage, `${what}. The commands are "migrate" and "relay"; see eventwire outbox --help.`);
  }
  if (action === 'migrate' && modules.length > 0) throw new CliExit(exitCodes.usage, 'eventwire outbox migrate takes no module; see eventwire outbox --help.');
  const url = databaseUrl();
  const table = typeof values.table === 'string' ? values.table : defaultTable;
  if (action === 'migrate') return migrate(url, table, io);
  return runRelayCommand({
    url,
    table,
    modules,
    batchSize: integer('--batch-size', values['batch-size'], 100, 1),
    batchesInFlight: integer('--batches-in-flight', values['batches-in-flight'], 1, 1, 16),
    pollIntervalMs: integer('--poll-interval-ms', values['poll-interval-ms'], 1_000, 1),
    graceMs: integer('--grace-ms', values['grace-ms'], 30_000, 0),
  }, io);
}

async function migrate(url: string, table: string, io: CliIo): Promise<number> {
  const pool = await createPgPool(url, consoleLogger);
  try {
    const outbox = createOutboxOrExit(pool, table);
    await outbox.migrate().catch((error: unknown) => {
      throw new CliExit(exitCodes.failure, `could not create the outbox table in ${redactUrl(url)}: ${sentence(error instanceof Error ? error.message : String(error))}`);
    });
    say(io, `the outbox table ${table} is ready`);
    return exitCodes.ok;
  } finally {
    await endPool(pool, 2_000);
  }
}

function parse(argv: readonly string[]): ParsedOptions {
  const options: OptionSpec = {
    table: { type: 'string' },
    'batch-size': { type: 'string' },
    'batches-in-flight': { type: 'string' },
    'poll-interval-ms': { type: 'string' },
    'grace-ms': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  return parseOptions(argv, options, 'eventwire outbox --help');
}

function integer(option: string, value: unknown, fallback: number, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < minimum || number > maximum) {
    const range = maximum === Number.MAX_SAFE_INTEGER ? `of at least ${minimum}` : `from ${minimum} to ${maximum}`;
    throw new CliExit(exitCodes.usage, `${option} must be a whole number ${range}, got ${JSON.stringify(value)}.`);
  }
  return number;
}
