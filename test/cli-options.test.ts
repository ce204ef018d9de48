import assert from 'node:assert/strict';
import { CliExit } from '../lib/cli/exit.js';
import { parseOptions, type OptionSpec } from '../lib/cli/parse-options.js';

const options: OptionSpec = {
  topic: { type: 'string', multiple: true },
  'grace-ms': { type: 'string' },
  'health-port': { type: 'string' },
  'outbox-relay': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** The usage error (exit 2) parsing `argv` throws, by its message. */
function usage(argv: readonly string[], message: RegExp): void {
  assert.throws(() => parseOptions(argv, options, 'eventwire consumer --help'), (error: unknown) => error instanceof CliExit && error.exitCode === 2 && message.test(error.message));
}

describe('the CLI’s option parsing', function () {
  it('parses what is well written, a value starting with "-" included when joined with =', function () {
    const { values, positionals } = parseOptions(['w.js', '--topic', 'a', '--topic=b', '--grace-ms=-5', '--outbox-relay'], options, 'x');
    assert.deepEqual(positionals, ['w.js']);
    assert.deepEqual({ ...values }, { topic: ['a', 'b'], 'grace-ms': '-5', 'outbox-relay': true });
  });

  it('names an option given without its value, with an example of one', function () {
    usage(['w.js', '--health-port'], /^--health-port needs a value, such as --health-port 8081\. See eventwire consumer --help\.$/);
    usage(['w.js', '--topic', 'a', '--topic'], /^--topic needs a value, such as --topic orders\.created\./);
  });

  it('says how to write a value that looks like an option, instead of calling it ambiguous', function () {
    usage(['w.js', '--grace-ms', '-5'], /^--grace-ms needs a value, such as --grace-ms 30000; a value that starts with "-" is written --grace-ms=-5\./);
    usage(['w.js', '--grace-ms', '--topic', 'a'], /^--grace-ms needs a value, such as --grace-ms 30000; a value that starts with "-" is written --grace-ms=--topic\./);
  });

  it('refuses a value given to a flag, and an unknown option with the list of known ones', function () {
    usage(['w.js', '--outbox-relay=yes'], /^--outbox-relay takes no value: write --outbox-relay alone\./);
    usage(['w.js', '--bogus'], /^unknown option --bogus\. The options are --topic, --grace-ms, --health-port, --outbox-relay, --help; see eventwire consumer --help\.$/);
  });
});
