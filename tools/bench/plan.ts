import { clusterScenarioIds } from './cluster.js';
import type { BrokerId, CaseSpec, Comparison, Impl, Kind, RouteEventing, Scenario } from './types.js';

/**
 * The scenarios of issue 5, per broker. Each compares eventwire's case with baselines measured
 * in the same run; the targets are the issue's.
 */

const peersOf = (broker: BrokerId): Impl[] => (broker === 'memory' ? [] : ['nest', 'moleculer']);
const peerLabel: Record<string, string> = { nest: 'NestJS microservices', moleculer: 'Moleculer Channels' };

function messaging(id: string, broker: BrokerId, kind: Kind, rawTarget: number, peers: boolean, concurrency?: number, route?: 'unbound'): Scenario {
  const spec = (impl: Impl): CaseSpec => ({ impl, kind, broker, ...(concurrency === undefined ? {} : { concurrency }), ...(route === undefined ? {} : { route }) });
  const others = peers ? peersOf(broker) : [];
  const cases: Record<string, CaseSpec> = { eventwire: spec('eventwire'), raw: spec('raw') };
  for (const peer of others) cases[peer] = spec(peer);
  const comparisons: Comparison[] = [
    { against: 'raw', label: broker === 'memory' ? 'broker port direct' : 'raw client', metric: 'rate', target: { kind: 'min', ratio: rawTarget } },
    ...others.map((peer): Comparison => ({ against: peer, label: peerLabel[peer] ?? peer, metric: 'rate', target: { kind: 'min', ratio: 1 } })),
  ];
  return { id, broker, cases, comparisons };
}

function fireAndForget(broker: BrokerId): Scenario {
  return {
    id: 'fire-and-forget',
    broker,
    cases: {
      eventwire: { impl: 'eventwire', kind: 'emit', broker },
      raw: { impl: 'raw', kind: 'send-awaited', broker },
      'raw-batch': { impl: 'raw', kind: 'send-batch', broker },
    },
    comparisons: [
      { against: 'raw', label: 'raw, awaited per message', metric: 'rate', target: { kind: 'min', ratio: 3 } },
      { against: 'raw-batch', label: 'raw, batches of 500 by hand', metric: 'rate' },
    ],
  };
}

/**
 * The route with eventwire's middleware against the same route without events (the targets) and
 * against the same route publishing by hand with the raw client after the response (for
 * information: what the middleware costs compared with the code it replaces).
 */
function http(framework: 'express' | 'koa', broker: BrokerId): Scenario {
  const spec = (impl: Impl, events: RouteEventing): CaseSpec => ({ impl, kind: 'http', broker, framework, events });
  const plain = 'same route without middleware';
  const byHand = 'same route, raw client publishing by hand';
  return {
    id: `http-${framework}`,
    broker,
    cases: { eventwire: spec('eventwire', 'middleware'), plain: spec('raw', 'none'), 'by-hand': spec('raw', 'by-hand') },
    comparisons: [
      { against: 'plain', label: plain, metric: 'rps', target: { kind: 'min', ratio: 0.97 } },
      { against: 'plain', label: plain, metric: 'p99', target: { kind: 'max', ratio: 1.05 } },
      { against: 'plain', label: plain, metric: 'cpu' },
      { against: 'by-hand', label: byHand, metric: 'rps' },
      { against: 'by-hand', label: byHand, metric: 'p99' },
      { against: 'by-hand', label: byHand, metric: 'cpu' },
    ],
  };
}

/**
 * eventwire publishing (awaited `publishEvent`) or consuming (handler map, concurrency 1) events
 * as CloudEvents in binary mode, against the same with its own envelope: the cost of the envelope
 * (issue 12: within 5 %), in throughput and in CPU time per message (the steadier figure).
 */
function cloudEvents(id: string, broker: BrokerId, kind: Kind): Scenario {
  const spec = (envelope: 'eventwire' | 'cloudevents'): CaseSpec => ({ impl: 'eventwire', kind, broker, envelope, ...(kind === 'consume' ? { concurrency: 1 } : {}) });
  return {
    id,
    broker,
    cases: { eventwire: spec('cloudevents'), default: spec('eventwire') },
    comparisons: [
      { against: 'default', label: "eventwire's own envelope", metric: 'rate', target: { kind: 'min', ratio: 0.95 } },
      { against: 'default', label: "eventwire's own envelope", metric: 'cpu', target: { kind: 'max', ratio: 1.05 } },
    ],
  };
}

/**
 * eventwire as configured by default, with `@opentelemetry/api` installed and no SDK, against the
 * same with `telemetry: false`: what the API's presence costs (issue 13: within 2 %), in throughput
 * and in CPU time per message or request (the steadier figure).
 */
function otelApiCost(id: string, broker: BrokerId, base: Omit<CaseSpec, 'impl' | 'broker'>, metric: 'rate' | 'rps'): Scenario {
  const spec = (extra: Pick<CaseSpec, 'telemetry'>): CaseSpec => ({ ...base, ...extra, impl: 'eventwire', broker });
  return {
    id,
    broker,
    cases: { eventwire: spec({}), off: spec({ telemetry: false }) },
    comparisons: [
      { against: 'off', label: 'telemetry off (`telemetry: false`)', metric, target: { kind: 'min', ratio: 0.98 } },
      { against: 'off', label: 'telemetry off (`telemetry: false`)', metric: 'cpu', target: { kind: 'max', ratio: 1.02 } },
    ],
  };
}

/**
 * What spans and metrics cost per message with the OpenTelemetry SDK and no-op exporters:
 * eventwire's own, against the raw client's own instrumentation (kafkajs, amqplib), each side
 * set against itself without the SDK. Target: eventwire adds no more than the instrumentation.
 * eventwire also runs with spans and no metrics, to compare like with like with an
 * instrumentation that makes spans only.
 */
function telemetry(id: string, broker: BrokerId, kind: Kind, concurrency?: number): Scenario {
  const spec = (impl: Impl, otel: boolean): CaseSpec => ({ impl, kind, broker, ...(concurrency === undefined ? {} : { concurrency }), ...(otel ? { otel: true } : {}) });
  return {
    id,
    broker,
    cases: {
      eventwire: spec('eventwire', true),
      'eventwire-spans': { ...spec('eventwire', true), telemetry: 'spans' },
      'eventwire-plain': spec('eventwire', false),
      'raw-otel': spec('raw', true),
      raw: spec('raw', false),
    },
    comparisons: [
      { against: 'raw-otel', label: 'raw client + its instrumentation', metric: 'rate' },
      { against: 'raw-otel', label: 'cost of telemetry, instrumentation', metric: 'overhead', without: { eventwire: 'eventwire-plain', baseline: 'raw' } },
      // The target is judged on CPU time: a difference of two throughputs moves with the broker's pace.
      { against: 'raw-otel', label: 'CPU cost of telemetry, instrumentation', metric: 'cpu-overhead', target: { kind: 'max', ratio: 1 }, without: { eventwire: 'eventwire-plain', baseline: 'raw' } },
      // Like with like where the instrumentation makes spans only (amqplib's): eventwire's spans without its metrics.
      { against: 'raw-otel', label: "CPU cost of eventwire's spans alone, instrumentation", metric: 'cpu-overhead', side: 'eventwire-spans', without: { eventwire: 'eventwire-plain', baseline: 'raw' } },
    ],
  };
}

export function planScenarios(brokers: readonly BrokerId[], only: readonly string[], peers: boolean): Scenario[] {
  const all = brokers.flatMap((broker) => [
    messaging('send-awaited', broker, 'send-awaited', 0.95, peers),
    // No queue bound: the broker's work per message is small, so the ratio shows eventwire's own cost.
    ...(broker === 'rabbitmq' ? [messaging('send-awaited-unbound', broker, 'send-awaited', 0.95, false, undefined, 'unbound')] : []),
    messaging('send-concurrent', broker, 'send-concurrent', 0.95, peers),
    fireAndForget(broker),
    messaging('consume-c1', broker, 'consume', 0.9, peers, 1),
    messaging('consume-c16', broker, 'consume', 0.9, peers, 16),
    http('express', broker),
    http('koa', broker),
    cloudEvents('cloudevents-send', broker, 'send-awaited'),
    cloudEvents('cloudevents-consume', broker, 'consume'),
    otelApiCost('otel-api-send', broker, { kind: 'send-awaited' }, 'rate'),
    otelApiCost('otel-api-consume', broker, { kind: 'consume', concurrency: 16 }, 'rate'),
    otelApiCost('otel-api-http', broker, { kind: 'http', framework: 'express', events: 'middleware' }, 'rps'),
    ...(broker === 'kafka' || broker === 'rabbitmq' ? [telemetry('otel-sdk-send', broker, 'send-awaited'), telemetry('otel-sdk-consume', broker, 'consume', 16)] : []),
  ]);
  return only.length === 0 ? all : all.filter((scenario) => only.some((wanted) => scenario.id.startsWith(wanted)));
}

/**
 * `--cluster`: the send and consume scenarios of {@link planScenarios}, as they are, without peers;
 * cluster.ts points both sides at the cluster.
 */
export function planClusterScenarios(brokers: readonly BrokerId[], only: readonly string[]): Scenario[] {
  const ids: readonly string[] = clusterScenarioIds;
  return planScenarios(brokers, only, false).filter((scenario) => ids.includes(scenario.id));
}
