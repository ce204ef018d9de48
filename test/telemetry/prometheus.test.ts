import { strict as assert } from 'node:assert';
import { register as globalRegister, Registry } from 'prom-client';
import { createMemoryBroker, createMemoryServer } from '../../adapters/memory/index.js';
import { createMessaging, silentLogger, type Messaging } from '../../entry/index.js';
import { prometheusMetrics, registerPrometheusMetrics } from '../../entry/prometheus.js';
import { requirePeer } from '../../lib/config/load-peer.js';
import { MissingDependencyError } from '../../lib/errors/index.js';
import { invalidOption } from '../support/invalid-option.js';
import { startJobRun } from '../support/job-run.js';

// eventwire/prometheus on the memory broker: the registry's text reads stats() and health() at
// scrape time, unregistering removes every metric, and bad options are refused up front.

/** The value of the sample `name` (no labels) in a Prometheus text exposition. */
function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe('registerPrometheusMetrics', function () {
  const server = createMemoryServer();
  const instances: Messaging[] = [];
  const memory = (): Messaging => {
    const messaging = createMessaging({ broker: createMemoryBroker({ server }), source: 'prom', logger: silentLogger });
    instances.push(messaging);
    return messaging;
  };

  after(async () => {
    for (const messaging of instances) await messaging.close({ timeoutMs: 2_000 });
  });

  it('exposes what stats() and health() report at scrape time, and unregister removes every metric', async () => {
    const messaging = memory();
    const registry = new Registry();
    const unregister = registerPrometheusMetrics(messaging, { registry });
    const { consumer, run } = await startJobRun(messaging, 'prom-metrics', 'prom-jobs');
    const idle = await registry.metrics();
    assert.equal(sample(idle, 'eventwire_messages_handled_total'), 0);
    assert.equal(sample(idle, 'eventwire_consumers_running'), 1);

    await run(5_000);
    await consumer.stop();

    const text = await registry.metrics();
    assert.match(text, /^# TYPE eventwire_messages_handled_total counter$/m);
    assert.match(text, /^# TYPE eventwire_events_buffered gauge$/m);
    assert.equal(sample(text, 'eventwire_messages_published_total'), 4, 'three events and the dead letter');
    assert.equal(sample(text, 'eventwire_messages_handled_total'), 2);
    assert.equal(sample(text, 'eventwire_retries_total'), 1);
    assert.equal(sample(text, 'eventwire_dead_letters_total'), 1);
    assert.equal(sample(text, 'eventwire_events_dropped_total'), 0);
    assert.equal(sample(text, 'eventwire_publish_failures_total'), 0);
    assert.equal(sample(text, 'eventwire_consumers_running'), 0);
    assert.equal(sample(text, 'eventwire_messages_in_flight'), 0);
    assert.equal(sample(text, 'eventwire_events_buffered'), 0);
    assert.equal(sample(text, 'eventwire_ready'), 1);
    assert.equal(sample(text, 'eventwire_live'), 1);
    assert.equal(sample(text, 'eventwire_broker_connected'), 1);
    for (const metric of prometheusMetrics) assert.notEqual(sample(text, `eventwire_${metric.name}`), undefined, metric.name);

    await messaging.close({ timeoutMs: 2_000 });
    const closed = await registry.metrics();
    assert.equal(sample(closed, 'eventwire_ready'), 0, 'a closed instance is not ready');
    assert.equal(sample(closed, 'eventwire_messages_handled_total'), 2, 'counters keep their totals');

    unregister();
    unregister();
    assert.doesNotMatch(await registry.metrics(), /eventwire_/);
    assert.equal(registry.getMetricsAsArray().length, 0);
  });

  it("registers on prom-client's global registry by default", async () => {
    const unregister = registerPrometheusMetrics(memory());
    try {
      assert.equal(sample(await globalRegister.metrics(), 'eventwire_ready'), 1);
    } finally {
      unregister();
    }
    assert.equal(globalRegister.getSingleMetric('eventwire_ready'), undefined);
  });

  it('takes a second instance on one registry under its own prefix, and refuses the same prefix naming `prefix`', async () => {
    const registry = new Registry();
    const first = memory();
    const second = memory();
    registerPrometheusMetrics(first, { registry });
    assert.throws(() => registerPrometheusMetrics(second, { registry }), invalidOption('prefix', /already has a metric named eventwire_messages_published_total/));
    registerPrometheusMetrics(second, { registry, prefix: 'billing_eventwire' });
    await first.publishEvent('job.run', { fail: false }, { topic: 'prom-other' });
    const text = await registry.metrics();
    assert.equal(sample(text, 'eventwire_messages_published_total'), 1);
    assert.equal(sample(text, 'billing_eventwire_messages_published_total'), 0);
  });

  it('refuses bad input with an error naming the option', () => {
    const messaging = memory();
    assert.throws(() => registerPrometheusMetrics(undefined as unknown as Messaging), invalidOption('messaging', /Expected `messaging` to be a messaging instance/));
    assert.throws(() => registerPrometheusMetrics({ stats: () => ({}) } as unknown as Messaging), invalidOption('messaging.health', 'Expected `messaging.health` to be a function, got undefined.'));
    assert.throws(() => registerPrometheusMetrics(messaging, { prefix: '9lives' }), invalidOption('prefix', /^Expected `prefix` to be a metric name prefix/));
    assert.throws(() => registerPrometheusMetrics(messaging, { prefix: '' }), invalidOption('prefix', /^Expected `prefix`/));
    assert.throws(() => registerPrometheusMetrics(messaging, { registry: {} as Registry }), invalidOption('registry', 'Expected `registry` to be a prom-client Registry, got an object without registerMetric().'));
    assert.throws(() => registerPrometheusMetrics(messaging, { registy: new Registry() } as never), invalidOption('registy', /Did you mean `registry`\?/));
    assert.throws(() => registerPrometheusMetrics(messaging, null as never), invalidOption('options', 'Expected `options` to be an object, got null.'));
  });

  it('loads its peer with a MissingDependencyError naming the package when it is not installed', () => {
    assert.throws(
      () => requirePeer('eventwire-absent-peer', 'Prometheus metrics helper (eventwire/prometheus)'),
      (error: unknown) => error instanceof MissingDependencyError && error.packageName === 'eventwire-absent-peer' && /npm install eventwire-absent-peer/.test(error.message),
    );
  });
});
