import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createMessaging, silentLogger, type Messaging } from '../../entry/index.js';
import { installMetrics, type MetricsSdk, type Point } from '../support/otel.js';
import { consumerQueues } from '../support/leftover-queues.js';
import { startJobRun } from '../support/job-run.js';
import { requireBroker } from '../support/require-broker.js';
import { traceTargets } from './trace-targets.js';

/** The sum of the points of `name` whose attributes include `match`. */
function total(points: Map<string, Point[]>, name: string, match: Readonly<Record<string, unknown>>): number {
  const list = points.get(name) ?? [];
  return list.filter((point) => Object.entries(match).every(([key, value]) => point.attributes[key] === value)).reduce((sum, point) => sum + point.value, 0);
}

for (const target of traceTargets) {
  describe(`metrics on ${target.name}`, function () {
    this.timeout(target.hopMs * 3);
    let sdk: MetricsSdk | undefined;
    let messaging: Messaging | undefined;
    const queues = consumerQueues();

    before(async function () {
      if (target.name !== 'memory') await requireBroker(this, target.name);
      sdk = installMetrics();
    });
    after(async () => {
      await messaging?.close({ timeoutMs: 2_000 });
      await sdk?.uninstall();
      if (target.name === 'rabbitmq') await queues.delete();
    });

    it('counts what was sent and handled, retries, the dead letter by reason, and times each step', async () => {
      const topic = `otel-metrics-${randomBytes(4).toString('hex')}`;
      messaging = createMessaging({ ...target.options(), source: 'metrics', logger: silentLogger });
      queues.add(`metrics-${topic}`, [topic]);
      const { consumer, run } = await startJobRun(messaging, `metrics-${topic}`, topic);
      await run(target.hopMs * 2);
      // Stopping waits for the in-flight delivery to finish: the dead letter is counted by then.
      await consumer.stop();
      const points = await sdk!.collect();
      const here = { 'messaging.system': target.name, 'messaging.destination.name': topic };
      assert.equal(total(points, 'messaging.client.sent.messages', here), 3);
      assert.equal(total(points, 'messaging.client.sent.messages', { ...here, 'messaging.destination.name': `${topic}.dlq` }), 1);
      assert.equal(total(points, 'messaging.client.operation.duration', here), 3);
      assert.equal(total(points, 'messaging.client.consumed.messages', { ...here, 'messaging.consumer.group.name': `metrics-${topic}` }), 3);
      assert.equal(total(points, 'messaging.process.duration', here), 3);
      assert.equal(total(points, 'messaging.process.duration', { ...here, 'error.type': 'EVENTWIRE_RETRIES_EXHAUSTED' }), 1);
      assert.equal(total(points, 'eventwire.handler.outcomes', { ...here, 'eventwire.outcome': 'ack' }), 2);
      assert.equal(total(points, 'eventwire.handler.outcomes', { 'messaging.system': target.name, 'eventwire.outcome': 'retry' }), 1);
      assert.equal(total(points, 'eventwire.handler.outcomes', { 'messaging.system': target.name, 'eventwire.outcome': 'dead-letter' }), 1);
      assert.equal(total(points, 'eventwire.dead_letters', { 'messaging.system': target.name, 'eventwire.dead_letter.reason': 'handler-error' }), 1);
      assert.equal(total(points, 'eventwire.event.latency', here), 2);
      assert.equal(total(points, 'eventwire.retries', { 'messaging.system': target.name }), messaging.stats().retried);
      assert.equal(messaging.stats().retried, 1);
      assert.equal(total(points, 'eventwire.events.buffered', { 'messaging.system': target.name }), 0);
      assert.ok(points.has('eventwire.events.dropped'));
    });
  });
}
