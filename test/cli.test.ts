import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { importFailure } from '../lib/cli/import-modules.js';
import { finish, runCli, type RunCliOptions, type RunningCli } from './support/cli-process.js';

// The CLI runs as a real child process (`node --import tsx entry/bin.ts …`) against fixture
// modules on the in-process memory broker. Every wait is for a line or the exit, with a timeout.

const fixtures = fileURLToPath(new URL('./fixtures/cli/', import.meta.url));
const fixture = (name: string): string => `test/fixtures/cli/${name}`;
const consuming = /^eventwire: consuming /;

describe('eventwire CLI', function () {
  const started: RunningCli[] = [];
  const cli = (args: readonly string[], options?: RunCliOptions): RunningCli => {
    const running = runCli(args, options);
    started.push(running);
    return running;
  };

  afterEach(function () {
    // A failed test must not leave a consumer process behind.
    for (const running of started.splice(0)) {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    }
  });

  describe('help, version and usage errors', function () {
    it('prints usage, options, exit codes, environment and an example for --help', async function () {
      const result = await finish(cli(['--help']));
      assert.equal(result.code, 0);
      for (const part of ['Usage: eventwire consumer <module>', '--version', 'Exit codes:', 'MESSAGING_BROKER', 'KAFKA_BOOTSTRAP_SERVERS', 'RABBITMQ_URL', 'REDIS_URL', 'MESSAGING_SOURCE', 'Examples:']) {
        assert.ok(result.stdout.includes(part), `--help lacks ${part}:\n${result.stdout}`);
      }
      assert.equal(result.stderr, '');
    });

    it('prints the consumer options for consumer --help', async function () {
      const result = await finish(cli(['consumer', '--help']));
      assert.equal(result.code, 0);
      for (const part of ['--topic <topic>', '--grace-ms <ms>', '--health-port <port>', 'GET /readyz', 'GET /metrics', 'Exit codes:', 'MESSAGING_BROKER']) {
        assert.ok(result.stdout.includes(part), `consumer --help lacks ${part}:\n${result.stdout}`);
      }
    });

    it('prints the package version for --version', async function () {
      const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
      const result = await finish(cli(['--version']));
      assert.equal(result.code, 0);
      assert.equal(result.stdout.trim(), version);
    });

    it('exits 2 when no module is given', async function () {
      const result = await finish(cli(['consumer']));
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^eventwire: no module given/);
    });

    it('exits 2 on an unknown option, naming it', async function () {
      const result = await finish(cli(['consumer', fixture('echo.ts'), '--bogus']));
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^eventwire: unknown option --bogus\. The options are --topic, --grace-ms, --health-port, --health-host, --outbox-relay, --outbox-table, --help/);
    });

    it('exits 2 on a --grace-ms that is not a whole number', async function () {
      const result = await finish(cli(['consumer', fixture('echo.ts'), '--grace-ms', '1.5s']));
      assert.equal(result.code, 2);
      assert.match(result.stderr, /--grace-ms must be a whole number of milliseconds/);
    });

    it('exits 2 on an unknown command', async function () {
      const result = await finish(cli(['consume', fixture('echo.ts')]));
      assert.equal(result.code, 2);
      assert.match(result.stderr, /unknown command "consume"/);
    });
  });

  describe('configuration and module errors', function () {
    it('exits 2 for an unknown --topic, listing the known topics', async function () {
      const result = await finish(cli(['consumer', fixture('echo.ts'), '--topic', 'cli.nope']));
      assert.equal(result.code, 2);
      assert.match(result.stderr, /"cli\.nope"/);
      assert.match(result.stderr, /cli\.echo, cli\.other/);
    });

    it('exits 2 when the modules register no consumers', async function () {
      const result = await finish(cli(['consumer', fixture('empty.ts')]));
      assert.equal(result.code, 2);
      assert.match(result.stderr, /^eventwire: no consumers to run: test\/fixtures\/cli\/empty\.ts registered none/);
    });

    it('exits 2 when messaging is not configured, saying how to configure it', async function () {
      const result = await finish(cli(['consumer', fixture('echo.ts')], { env: {} }));
      assert.equal(result.code, 2);
      assert.match(result.stderr, /configureMessaging/);
      assert.match(result.stderr, /MESSAGING_BROKER/);
    });

    it('exits 3 when a module throws on import, naming it, the error and the line that threw, without a stack', async function () {
      const result = await finish(cli(['consumer', fixture('throws.ts')]));
      assert.equal(result.code, 3);
      assert.match(result.stderr, /^eventwire: cannot import test\/fixtures\/cli\/throws\.ts: it threw while loading: fixture failed to load\./);
      assert.ok(result.stderr.includes(` Thrown at ${resolve('test/fixtures/cli/throws.ts')}:2:7.`), result.stderr);
      assert.equal(result.stderr.split('\n').length, 1, `expected one line:\n${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /);
    });

    it('exits 3 when a module file does not exist', async function () {
      const result = await finish(cli(['consumer', fixture('missing.js')]));
      assert.equal(result.code, 3);
      assert.match(result.stderr, /cannot import test\/fixtures\/cli\/missing\.js: there is no file/);
    });

    it('names the file and line of a syntax error in a CommonJS module a worker imports, and how to find one in an ES module', async function () {
      const folder = await mkdtemp(join(tmpdir(), 'eventwire-cli-'));
      try {
        await writeFile(join(folder, 'bad.cjs'), 'const a = 1;\nlet x = ;\n');
        await writeFile(join(folder, 'bad.mjs'), 'const a = 1;\nlet x = ;\n');
        await writeFile(join(folder, 'worker.mjs'), "import './bad.cjs';\n");
        await writeFile(join(folder, 'worker-esm.mjs'), "import './bad.mjs';\n");
        const failure = async (name: string) => {
          const file = join(folder, name);
          const error = await import(pathToFileURL(file).href).then(() => undefined, (thrown: unknown) => thrown);
          return importFailure(`./${name}`, file, error);
        };
        assert.match(await failure('worker.mjs'), new RegExp(`SyntaxError: Unexpected token ';'\\. Thrown at ${join(folder, 'bad.cjs').replace(/[.\\/]/g, '\\$&')}:2\\. Fix the module`));
        const esm = await failure('worker-esm.mjs');
        assert.match(esm, /SyntaxError: Unexpected token ';'\. Node\.js names the file and line when it loads the module itself: node --input-type=module --eval "await import\('file:\/\/[^']+worker-esm\.mjs'\)"/);
        assert.doesNotMatch(esm, /Thrown at/);
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });

    it('explains how to load a TypeScript module that Node.js cannot load', function () {
      const error = Object.assign(new TypeError('Unknown file extension ".ts"'), { code: 'ERR_UNKNOWN_FILE_EXTENSION' });
      const message = importFailure('./src/consumers.ts', '/app/src/consumers.ts', error);
      assert.match(message, /^cannot import \.\/src\/consumers\.ts: /);
      assert.match(message, /node --import tsx node_modules\/\.bin\/eventwire consumer \.\/src\/consumers\.ts/);
      // The tsx command relays Ctrl-C a second time: not a form to recommend for a worker.
      assert.doesNotMatch(message, /npx tsx/);
    });
  });

  describe('running consumers', function () {
    it('handles a published message and exits 0 on SIGTERM (module path relative to the cwd)', async function () {
      const running = cli(['consumer', './echo.ts'], { cwd: fixtures });
      await running.waitForLine('stderr', /^eventwire: consuming cli\.echo as group cli-echo$/);
      running.send('publish cli.echo 1');
      await running.waitForLine('stdout', /^handled 1$/);
      running.child.kill('SIGTERM');
      const result = await finish(running);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^eventwire: stopped$/m);
      // A worker on the in-process broker gets nothing from a separate app: the user is told.
      assert.match(result.stderr, /^eventwire: warning: the memory broker lives inside this process: .*another process \(your app\) cannot publish to them\. Set MESSAGING_BROKER to kafka, rabbitmq or redis/m);
    });

    it('exports the spans an OpenTelemetry SDK still holds before it exits', async function () {
      const running = cli(['consumer', fixture('echo.ts')], { preload: [pathToFileURL(join(fixtures, 'tracing.ts')).href] });
      await running.waitForLine('stderr', consuming);
      running.send('publish cli.echo 3');
      await running.waitForLine('stdout', /^handled 3$/);
      assert.deepEqual(running.stdout.filter((line) => line.startsWith('exported')), [], 'the batch processor holds the spans until a flush');
      running.child.kill('SIGTERM');
      const result = await finish(running);
      assert.equal(result.code, 0, result.stderr);
      const exported = running.stdout.filter((line) => line.startsWith('exported'));
      assert.ok(exported.includes('exported process cli.echo'), exported.join('\n'));
      assert.ok(exported.includes('exported send cli.echo'), exported.join('\n'));
    });

    it('keeps running until a signal although nothing else holds the process', async function () {
      // With stdin closed the fixture holds no handle and the memory broker holds no socket.
      const running = cli(['consumer', fixture('echo.ts')], { closeStdin: true });
      await running.waitForLine('stderr', consuming);
      running.child.kill('SIGTERM');
      const result = await finish(running);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /^eventwire: received SIGTERM; stopping/m);
    });

    it('runs only the consumers of the --topic given, and stops on SIGINT', async function () {
      const running = cli(['consumer', fixture('echo.ts'), '--topic', 'cli.echo']);
      await running.waitForLine('stderr', consuming);
      running.send('publish cli.echo 2');
      await running.waitForLine('stdout', /^handled 2$/);
      running.child.kill('SIGINT');
      const result = await finish(running);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(running.stderr.filter((line) => consuming.test(line)), ['eventwire: consuming cli.echo as group cli-echo']);
    });

    it('lets an in-flight handler finish before exiting 0 on SIGTERM', async function () {
      const running = cli(['consumer', fixture('drain.ts')]);
      await running.waitForLine('stderr', consuming);
      running.send('publish cli.slow 7');
      await running.waitForLine('stdout', /^started 7$/);
      running.child.kill('SIGTERM');
      const result = await finish(running);
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(running.stdout.filter((line) => line !== ''), ['started 7', 'finished 7']);
    });

    it('exits 1 at once on a second signal during a long drain', async function () {
      const running = cli(['consumer', fixture('stuck.ts')]);
      await running.waitForLine('stderr', consuming);
      running.send('publish cli.stuck 8');
      await running.waitForLine('stdout', /^started 8$/);
      running.child.kill('SIGTERM');
      await running.waitForLine('stderr', /received SIGTERM; stopping/);
      // A repeat within repeatWindowMs is the same signal delivered twice (see signals.ts): the
      // deliberate second one comes later, so it is sent until the CLI gives up waiting.
      const again = setInterval(() => running.child.kill('SIGTERM'), 250);
      const result = await finish(running).finally(() => clearInterval(again));
      assert.equal(result.code, 1);
      assert.match(result.stderr, /received SIGTERM again; exiting without waiting for 1 consumer still handling messages \(group cli-stuck\)/);
    });

    it('does not claim handlers are running when a second signal cuts short an idle drain', async function () {
      const running = cli(['consumer', fixture('slow-stop.ts')], { env: {} });
      await running.waitForLine('stderr', /^eventwire: consuming cli\.idle as group cli-idle$/);
      running.child.kill('SIGTERM');
      await running.waitForLine('stderr', /received SIGTERM; stopping/);
      const again = setInterval(() => running.child.kill('SIGTERM'), 250);
      const result = await finish(running).finally(() => clearInterval(again));
      assert.equal(result.code, 1);
      assert.match(result.stderr, /received SIGTERM again; exiting without waiting for the consumers still disconnecting \(no message was being handled\)/);
      assert.doesNotMatch(result.stderr, /still handling messages/);
    });

    it('exits 1 when in-flight handlers outlast --grace-ms, saying how many', async function () {
      const running = cli(['consumer', fixture('stuck.ts'), '--grace-ms', '200']);
      await running.waitForLine('stderr', consuming);
      running.send('publish cli.stuck 9');
      await running.waitForLine('stdout', /^started 9$/);
      running.child.kill('SIGTERM');
      const result = await finish(running);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /the grace period of 200 ms passed with 1 consumer still handling messages \(group cli-stuck\)/);
    });

    it('exits 1 when a subscription fails while running, with the credential masked', async function () {
      const running = cli(['consumer', fixture('failing-broker.ts')], { env: {} });
      await running.waitForLine('stderr', /^eventwire: consuming cli\.fail as group cli-fail$/);
      running.send('fail');
      const result = await finish(running);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /the consumer of group cli-fail \(cli\.fail\) failed: connection to redis:\/\/app:\*\*\*@broker:6379 reset\./);
      assert.doesNotMatch(result.stderr, /hunter2/);
    });
  });
});
