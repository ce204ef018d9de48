import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import type { Attributes, BatchObservableResult, Observable } from '@opentelemetry/api';
import { createMessaging, silentLogger, type Messaging } from '../../entry/index.js';
import { MetricCounts } from '../../lib/telemetry/metric-counts.js';
import type { MetricInstruments } from '../../lib/telemetry/metric-instruments.js';
import { installMetrics, type MetricsSdk, type Point } from '../support/otel.js';

function sum(points: Map<string, Point[]>, name: string, topic: string): number {
  return (points.get(name) ?? []).filter((point) => point.attributes['messaging.destination.name'] === topic).reduce((total, point) => total + point.value, 0);
}

describe('counters counted by eventwire and observed at collection', () => {
  let sdk: MetricsSdk | undefined;
  let messaging: Messaging | undefined;

  before(() => {
    sdk = installMetrics();
  });
  after(async () => {
    await messaging?.close({ timeoutMs: 2_000 });
    await sdk?.uninstall();
  });

  it('report cumulative totals, one point per attribute set, as synchronous counters would', async () => {
    const topic = `otel-counts-${randomBytes(4).toString('hex')}`;
    messaging = createMessaging({ broker: 'memory', logger: silentLogger });
    await messaging.getProducer().send(topic, { n: 1 });
    await messaging.getProducer().send(topic, { n: 2 });
    const first = await sdk!.collect();
    assert.equal(sum(first, 'messaging.client.sent.messages', topic), 2);
    assert.equal((first.get('messaging.client.sent.messages') ?? []).filter((point) => point.attributes['messaging.destination.name'] === topic).length, 1);
    await messaging.getProducer().send(topic, { n: 3 });
    const second = await sdk!.collect();
    assert.equal(sum(second, 'messaging.client.sent.messages', topic), 3);
    assert.deepEqual(second.get('messaging.client.sent.messages')?.find((point) => point.attributes['messaging.destination.name'] === topic)?.attributes, {
      'messaging.system': 'memory',
      'messaging.destination.name': topic,
      'messaging.operation.name': 'send',
      'messaging.operation.type': 'send',
    });
    assert.equal(sum(second, 'messaging.client.operation.duration', topic), 3);
  });
});

describe('MetricCounts', () => {
  /** What a collection would be told: instrument, value, attributes. */
  function observed(counts: MetricCounts): { instrument: string; value: number; attributes: Attributes }[] {
    const seen: { instrument: string; value: number; attributes: Attributes }[] = [];
    const instruments = Object.fromEntries(['sent', 'consumed', 'outcomes', 'deadLetters'].map((name) => [name, { name } as unknown as Observable])) as unknown as MetricInstruments;
    const result: BatchObservableResult = {
      observe: (instrument, value, attributes = {}) => void seen.push({ instrument: (instrument as unknown as { name: string }).name, value, attributes }),
    };
    counts.observe(result, instruments);
    return seen;
  }

  it('reports nothing for a series that counted nothing', () => {
    const counts = new MetricCounts('kafka');
    counts.delivery('orders', 'billing').consumed.count += 1;
    assert.deepEqual(
      observed(counts).map(({ instrument, value }) => [instrument, value]),
      [['consumed', 1]],
    );
  });

  it('past 2000 series, counts the new ones together under otel.metric.overflow, as the SDK does', () => {
    const counts = new MetricCounts('kafka');
    for (let index = 0; index < 2000; index += 1) counts.delivery(`topic-${index}`, 'billing').consumed.count += 1;
    const late = [counts.delivery('late-1', 'billing'), counts.delivery('late-2', 'billing')];
    for (const series of late) series.consumed.count += 1;
    assert.deepEqual(late[0]?.handled, { 'otel.metric.overflow': true });
    const points = observed(counts).filter((point) => point.instrument === 'consumed');
    assert.equal(points.length, 2001);
    assert.deepEqual(points.at(-1), { instrument: 'consumed', value: 2, attributes: { 'otel.metric.overflow': true } });
    assert.equal(counts.sent('late-topic', '').attributes['otel.metric.overflow'], true);
  });
});
