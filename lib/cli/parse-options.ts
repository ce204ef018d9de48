import { parseArgs } from 'node:util';
import { CliExit, exitCodes } from './exit.js';
import { sentence } from './io.js';

/** The options of one command, as `node:util` parseArgs takes them. */
export type OptionSpec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** What parsing a command line gives: option values by name, and the other arguments. */
export interface ParsedOptions {
  readonly values: Record<string, unknown>;
  readonly positionals: string[];
}

/** A value of each option that takes one, shown when the option is given without it. */
const exampleValues: Readonly<Record<string, string>> = {
  topic: 'orders.created',
  'grace-ms': '30000',
  'health-port': '8081',
  'health-host': '127.0.0.1',
  'outbox-table': 'eventwire_outbox',
  table: 'eventwire_outbox',
  'batch-size': '100',
  'batches-in-flight': '4',
  'poll-interval-ms': '1000',
};

/**
 * Strict parsing of a command's arguments: an unknown option, an option without its value and a
 * value given to a flag are usage errors (exit 2) whose message names the option as written and
 * what to write instead; `help` is the command that lists the options.
 *
 * @example
 * const { values, positionals } = parseOptions(argv, { topic: { type: 'string', multiple: true } }, 'eventwire consumer --help');
 */
export function parseOptions(argv: readonly string[], options: OptionSpec, help: string): ParsedOptions {
  try {
    return parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) throw error;
    const unknown = code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? unknownOption(argv, options) : undefined;
    if (unknown !== undefined) {
      const known = Object.keys(options).map((name) => `--${name}`).join(', ');
      throw new CliExit(exitCodes.usage, `unknown option ${unknown}. The options are ${known}; see ${help}.`);
    }
    const problem = code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' ? valueProblem(argv, options) : undefined;
    throw new CliExit(exitCodes.usage, `${sentence(problem ?? (error as Error).message)} See ${help}.`);
  }
}

/** The first option `options` does not define, as written on the command line. */
function unknownOption(argv: readonly string[], options: OptionSpec): string | undefined {
  const { tokens } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: false, tokens: true });
  const shorts = new Set(Object.values(options).map((option) => option.short));
  const token = tokens.find((t) => t.kind === 'option' && !Object.hasOwn(options, t.name) && !shorts.has(t.name));
  return token?.kind === 'option' ? token.rawName : undefined;
}

/**
 * What is wrong with the first long option given a value it does not take, or without the value
 * it needs (the end of the line, or what looks like another option, such as `-5`).
 */
function valueProblem(argv: readonly string[], options: OptionSpec): string | undefined {
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index] ?? '';
    if (argument === '--') return undefined;
    const written = /^--([^=]+)(=.*)?$/.exec(argument);
    const name = written?.[1];
    const spec = name === undefined ? undefined : options[name];
    if (name === undefined || spec === undefined) continue;
    if (spec.type === 'boolean' && written?.[2] !== undefined) return `--${name} takes no value: write --${name} alone`;
    if (spec.type === 'boolean' || written?.[2] !== undefined) continue;
    const next = argv[index + 1];
    const example = `--${name} ${exampleValues[name] ?? '<value>'}`;
    if (next === undefined) return `--${name} needs a value, such as ${example}`;
    if (next.startsWith('-')) return `--${name} needs a value, such as ${example}; a value that starts with "-" is written --${name}=${next}`;
    index += 1;
  }
  return undefined;
}
