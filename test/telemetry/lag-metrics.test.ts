import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { createMemoryBroker, createMemoryServer } from '../../adapters/memory/index.js';
import { createMessaging, silentLogger, type Broker, type Consumer, type LagReporter, type Messaging } from '../../entry/index.js';
import { registerPrometheusMetrics } from '../../entry/prometheus.js';
import { installMetrics, type MetricsSdk } from '../support/otel.js';
import { memoryLogger } from '../support/memory-logger.js';
import { collector, withTimeout } from '../support/wait.js';

// The consumer lag gauges on the memory broker: the OpenTelemetry observable gauge and the
// Prometheus gauge read messaging.lag() at collection time, and a lag that cannot be read leaves
// the gauge out of that collection, logged once, while every other metric is still reported.

const topic = 'lag-gauge-jobs';
const groupId = 'lag-gauge-workers';

/** An instance with one consumer that handled one event and stopped, then three events published. */
async function lagging(messaging: Messaging): Promise<Consumer> {
  const handled = collector<number>(1);
  const consumer = messaging.createConsumer({ groupId, topics: [topic], handlers: { 'job.run': async (event) => handled.push(event.data as number) } });
  await consumer.start();
  await messaging.publishEvent('job.run', 0, { topic });
  await withTimeout(handled.done, 5_000, 'the first event to be handled');
  await consumer.stop();
  for (const n of [1, 2, 3]) await messaging.publishEvent('job.run', n, { topic });
  return consumer;
}

describe('consumer lag gauges', function () {
  const instances: Messaging[] = [];
  const memory = (broker?: Broker, logger = silentLogger): Messaging => {
    const messaging = createMessaging({ broker: broker ?? createMemoryBroker({ server: createMemoryServer() }), source: 'lag', logger });
    instances.push(messaging);
    return messaging;
  };
  let sdk: MetricsSdk | undefined;

  afterEach(async () => {
    for (const messaging of instances.splice(0)) await messaging.close({ timeoutMs: 2_000 });
    await sdk?.uninstall();
    sdk = undefined;
  });

  it('reports eventwire.consumer.lag per topic and group to OpenTelemetry at collection time', async () => {
    sdk = installMetrics();
    const messaging = memory();
    await lagging(messaging);
    const points = (await sdk.collect()).get('eventwire.consumer.lag') ?? [];
    assert.deepEqual(points, [
      { attributes: { 'messaging.system': 'memory', 'messaging.destination.name': topic, 'messaging.consumer.group.name': groupId }, value: 3 },
    ]);
  });

  it('exposes eventwire_consumer_lag{topic,group} to Prometheus at scrape time, and follows the group as it catches up', async () => {
    const messaging = memory();
    const registry = new Registry();
    registerPrometheusMetrics(messaging, { registry });
    const consumer = await lagging(messaging);
    assert.match(await registry.metrics(), new RegExp(`^eventwire_consumer_lag\\{topic="${topic}",group="${groupId}"\\} 3$`, 'm'));
    await consumer.start();
    // Polled, bounded: the gauge is a reading, no event tells when it changed.
    const deadline = Date.now() + 5_000;
    while (!new RegExp(`^eventwire_consumer_lag\\{topic="${topic}",group="${groupId}"\\} 0$`, 'm').test(await registry.metrics())) {
      if (Date.now() > deadline) assert.fail('the lag gauge did not fall to 0');
      await sleep(20);
    }
  });

  it('leaves the lag out of a collection when the broker cannot tell it, logs that once, and reports the rest', async () => {
    const logger = memoryLogger();
    const failing: Broker & LagReporter = { ...createMemoryBroker({ server: createMemoryServer() }), lag: () => Promise.reject(new Error('lag unavailable')) };
    const messaging = memory(failing, logger);
    const registry = new Registry();
    registerPrometheusMetrics(messaging, { registry });
    const metrics = (sdk = installMetrics());
    await lagging(messaging);
    for (let scrape = 0; scrape < 2; scrape += 1) {
      const text = await registry.metrics();
      assert.doesNotMatch(text, /^eventwire_consumer_lag\{/m);
      assert.match(text, /^eventwire_messages_handled_total 1$/m);
      const points = await metrics.collect();
      assert.equal(points.get('eventwire.consumer.lag')?.length ?? 0, 0);
      assert.ok((points.get('messaging.client.consumed.messages')?.length ?? 0) > 0, 'the other metrics are still exported');
    }
    const warnings = logger.lines.filter((line) => line.level === 'warn' && line.message.startsWith('Consumer lag cannot be read'));
    assert.deepEqual(
      warnings.map((line) => line.fields?.gauge),
      ['Prometheus', 'OpenTelemetry'],
      'one warning per gauge for the outage, not one per collection',
    );
  });
});
