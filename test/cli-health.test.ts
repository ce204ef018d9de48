import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { networkInterfaces } from 'node:os';
import { register } from 'prom-client';
import { startHealthServer } from '../lib/cli/health-server.js';
import { metricsHint, metricsRoute } from '../lib/cli/metrics-route.js';
import { MissingDependencyError } from '../lib/errors/index.js';
import { createTestMessaging } from '../entry/testing.js';
import { registerPrometheusMetrics } from '../entry/prometheus.js';
import { finish, runCli, type RunningCli } from './support/cli-process.js';
import { reachable } from './support/probe.js';

// `--health-port`: the CLI, as a real child process on the memory broker, serves /healthz and
// /readyz until it exits. Waits poll with a bound; none is a fixed sleep.

const fixture = (name: string): string => `test/fixtures/cli/${name}`;
const consuming = /^eventwire: consuming /;
const pollMs = 15_000;

/** A port nothing listens on right now: the system's pick for port 0, released at once. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address !== null && typeof address === 'object');
  return address.port;
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
}

async function get(port: number, path: string): Promise<Answer> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** Asks `path` until it answers `status` (connection refused counts as not yet), for at most {@link pollMs}. */
async function until(port: number, path: string, status: number): Promise<Answer> {
  const deadline = Date.now() + pollMs;
  let last: unknown;
  for (;;) {
    try {
      const answer = await get(port, path);
      if (answer.status === status) return answer;
      last = answer;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) assert.fail(`${path} did not answer ${status} within ${pollMs} ms; last: ${String(last instanceof Error ? last.message : JSON.stringify(last))}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}

describe('eventwire consumer --health-port', function () {
  const started: RunningCli[] = [];
  const cli = (args: readonly string[]): RunningCli => {
    const running = runCli(args);
    started.push(running);
    return running;
  };

  afterEach(function () {
    for (const running of started.splice(0)) {
      if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill('SIGKILL');
    }
  });

  it('serves /readyz and /healthz with the health report, 404 elsewhere, and closes the port on exit 0 after SIGTERM', async function () {
    const port = await freePort();
    const running = cli(['consumer', fixture('echo.ts'), '--health-port', String(port)]);
    await running.waitForLine('stderr', new RegExp(`^eventwire: serving /healthz, /readyz and /metrics on port ${port}$`));
    const ready = await until(port, '/readyz', 200);
    assert.equal(ready.body.ready, true);
    assert.equal((ready.body.broker as { name?: unknown }).name, 'memory');
    const live = await get(port, '/healthz');
    assert.equal(live.status, 200);
    assert.equal(live.body.live, true);
    assert.equal((await get(port, '/nowhere')).status, 404);

    running.child.kill('SIGTERM');
    const result = await finish(running);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await reachable(port), false, 'the health port still accepts connections after the exit');
  });

  it('serves eventwire\'s metrics on /metrics in Prometheus text format, read at each scrape', async function () {
    const port = await freePort();
    const running = cli(['consumer', fixture('echo.ts'), '--health-port', String(port)]);
    await running.waitForLine('stderr', consuming);
    await until(port, '/readyz', 200);
    assert.match(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), /^eventwire_messages_handled_total 0$/m);
    running.send('publish cli.echo 1');
    await running.waitForLine('stdout', /^handled 1$/);
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    assert.match(text, /^# TYPE eventwire_messages_handled_total counter$/m);
    assert.match(text, /^eventwire_messages_handled_total 1$/m);
    assert.match(text, /^eventwire_messages_published_total 1$/m);
    assert.match(text, /^eventwire_consumers_running 2$/m);
    assert.match(text, /^eventwire_ready 1$/m);
    assert.equal((await fetch(`http://127.0.0.1:${port}/metrics`, { method: 'POST' })).status, 405);

    running.child.kill('SIGTERM');
    const result = await finish(running);
    assert.equal(result.code, 0, result.stderr);
  });

  it('answers /readyz 503 and /healthz 200 while draining after SIGTERM', async function () {
    const port = await freePort();
    const running = cli(['consumer', fixture('stuck.ts'), '--grace-ms', '60000', '--health-port', String(port)]);
    await running.waitForLine('stderr', consuming);
    await until(port, '/readyz', 200);
    running.send('publish cli.stuck 1');
    await running.waitForLine('stdout', /^started 1$/);
    running.child.kill('SIGTERM');
    await running.waitForLine('stderr', /^eventwire: received SIGTERM; stopping/);
    const draining = await until(port, '/readyz', 503);
    assert.equal(draining.body.closing, true);
    assert.equal((await get(port, '/healthz')).status, 200);
    running.child.kill('SIGINT'); // a second signal (another one: a repeat within 1 s counts once) exits at once
    const result = await finish(running);
    assert.equal(result.code, 1, result.stderr);
  });

  for (const bad of ['0', '65536', '80a', '-1', '1.5', '']) {
    it(`exits 2 on --health-port=${bad}, naming the flag`, async function () {
      const result = await finish(cli(['consumer', fixture('echo.ts'), `--health-port=${bad}`]));
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^eventwire: --health-port must be a port number from 1 to 65535/);
    });
  }

  it('listens on the --health-host address only', async function () {
    // Another address of this machine, where a server on every interface would answer too.
    const other = Object.values(networkInterfaces()).flat().find((address) => address !== undefined && !address.internal && address.family === 'IPv4')?.address ?? '::1';
    const port = await freePort();
    const running = cli(['consumer', fixture('echo.ts'), '--health-port', String(port), '--health-host', '127.0.0.1']);
    await running.waitForLine('stderr', new RegExp(`^eventwire: serving /healthz, /readyz and /metrics on 127\\.0\\.0\\.1:${port}$`));
    assert.equal((await until(port, '/readyz', 200)).body.ready, true);
    assert.equal(await reachable(port, other), false, `the health port answers on ${other} too`);
    running.child.kill('SIGTERM');
    assert.equal((await finish(running)).code, 0);
  });

  for (const bad of ['', 'not a host', '[::1]', '256.1.1.1', 'http://probe', 'under_score', '-dash.example']) {
    it(`exits 2 on --health-host=${JSON.stringify(bad)}, naming the flag, before importing the module`, async function () {
      const result = await finish(cli(['consumer', fixture('throws.ts'), '--health-port', '8081', `--health-host=${bad}`]));
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /^eventwire: --health-host must be an IP address of this machine such as 127\.0\.0\.1, 0\.0\.0\.0 or ::, or a host name/);
    });
  }

  it('exits 2 on --health-host without --health-port', async function () {
    const result = await finish(cli(['consumer', fixture('echo.ts'), '--health-host', '127.0.0.1']));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /^eventwire: --health-host needs --health-port/);
  });

  it('exits 1 on a --health-host address that is not this machine\'s, naming the flag', async function () {
    // 203.0.113.0/24 is reserved for documentation (RFC 5737): no machine has it.
    const result = await finish(cli(['consumer', fixture('echo.ts'), '--health-port', String(await freePort()), '--health-host', '203.0.113.1']));
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^eventwire: cannot serve health checks on --health-host 203\.0\.113\.1: that address is not one of this machine's/);
  });

  it('exits 1 when the port is in use, naming the flag', async function () {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, resolve));
    try {
      const port = (taken.address() as { port: number }).port;
      const result = await finish(cli(['consumer', fixture('echo.ts'), '--health-port', String(port)]));
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stderr, new RegExp(`^eventwire: cannot serve health checks on --health-port ${port}: the port is in use`));
    } finally {
      await new Promise<void>((resolve) => taken.close(() => resolve()));
    }
  });
});

describe('the health port\'s /metrics route, in process', function () {
  const messaging = createTestMessaging();
  after(() => messaging.close({ timeoutMs: 2_000 }));

  it('answers 404 with a one-line hint naming prom-client when the package is missing, and its banner says so', async function () {
    const missing = metricsRoute(messaging, () => {
      throw new MissingDependencyError('prom-client', 'metrics route of --health-port');
    });
    const server = await startHealthServer(messaging, { port: await freePort() }, missing);
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      assert.equal(response.status, 404);
      assert.equal(await response.text(), `${metricsHint}\n`);
      assert.match(metricsHint, /npm install prom-client$/);
      assert.equal((await get(server.port, '/readyz')).status, 200, 'the probes work without prom-client');
      assert.equal(server.banner, `serving /healthz and /readyz on port ${server.port}; ${metricsHint}`);
    } finally {
      await server.close();
    }
  });

  it('serves metrics the application registered itself on the global registry, and leaves them there on close', async function () {
    const unregister = registerPrometheusMetrics(messaging);
    try {
      const server = await startHealthServer(messaging, { port: await freePort() });
      const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
      await server.close();
      assert.match(text, /^eventwire_ready 1$/m);
      assert.notEqual(register.getSingleMetric('eventwire_ready'), undefined);
    } finally {
      unregister();
    }
  });

  it('removes the metrics it registered from the global registry on close', async function () {
    const server = await startHealthServer(messaging, { port: await freePort() });
    assert.notEqual(register.getSingleMetric('eventwire_ready'), undefined);
    await server.close();
    assert.equal(register.getSingleMetric('eventwire_ready'), undefined);
  });
});
