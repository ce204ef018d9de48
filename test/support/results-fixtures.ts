import type { ClusterRunSummary } from '../../tools/bench/cluster-docs.js';
import type { RunSummary } from '../../tools/bench/docs.js';
import type { Row } from '../../tools/bench/report.js';
import type { Report, ReportEntry } from '../../tools/faults/report.js';
import type { EnvelopeResults } from '../../tools/bench/envelope-docs.js';
import type { OutboxResults } from '../../tools/bench/outbox/types.js';
import type { FaultBroker } from '../../tools/faults/types.js';

/**
 * Small results files of the fault runner and the bench, made up for the renderer tests: a fresh
 * clone has no real one (results files stay out of git), and the renderers must still produce
 * sections of the generated form from what a run writes.
 */

const entry = (scenario: string, broker: FaultBroker, recoveryMs: number | null, notes: readonly string[] = []): ReportEntry => ({
  scenario,
  broker,
  sent: 100,
  acknowledged: 100,
  handled: 100,
  deadLettered: 0,
  lost: 0,
  duplicated: 0,
  recoveryMs,
  notes,
  ok: true,
  durationMs: 1_500,
});

/** A full fault run on a named commit: broker restarts and a killed worker on two brokers. */
export const fixtureReport: Report = {
  startedAt: '2026-12-07T10:00:00.000Z',
  finishedAt: '2026-12-07T10:10:00.000Z',
  quick: false,
  node: 'v22.0.0',
  commit: '0123456789ab',
  results: [
    entry('broker-restart', 'redis', 1_200),
    entry('broker-restart-slow', 'redis', 1_600),
    entry('broker-restart', 'kafka', null),
    entry('worker-killed', 'redis', 1_300, ['took over after claimIdleMs (Redis claimIdleMs 1000)']),
    entry('worker-killed', 'kafka', 6_100, ['(Kafka sessionTimeoutMs 6000)']),
  ],
  ok: true,
};

const row = (scenario: string, broker: string, against: string, ratio: number): Row => ({
  scenario,
  broker,
  against,
  metric: 'rate',
  eventwire: 1_000 * ratio,
  baseline: 1_000,
  ratio,
  target: against === 'raw client' ? '≥ 0.95×' : '≥ 1×',
  verdict: ratio >= 1 ? 'pass' : 'FAIL',
  eventwireRssMb: 100,
  baselineRssMb: 100,
  remark: '',
});

/** A CPU time row (µs per unit of work; lower is better), per message unless `work` says otherwise. */
const cpuRow = (scenario: string, broker: string, against: string, ratio: number, target: number, work?: 'msg' | 'req'): Row => ({
  ...row(scenario, broker, against, ratio),
  metric: 'cpu',
  ...(work === undefined ? {} : { work }),
  eventwire: 20 * ratio,
  baseline: 20,
  target: `≤ ${target}×`,
  verdict: ratio <= target ? 'pass' : 'FAIL',
});

/**
 * A full bench run on a named commit: ratios ahead of, tied with and behind each kind of baseline,
 * and CPU time rows per message, per request, and one of a results file from before CPU rows said
 * what they were per (HTTP only then: per request).
 */
export const fixtureRun: RunSummary = {
  finishedAt: '2026-12-07T11:00:00.000Z',
  commit: '0123456789ab',
  mode: 'full',
  reps: 3,
  build: 'tsc build',
  machine: { cpu: 'Test CPU', cores: 2, memoryGb: 8, os: 'Linux', node: 'v22.0.0', loadAverage: [0.5, 0.5, 0.5], brokers: {} },
  rows: [
    row('send-awaited', 'redis', 'raw client', 0.97),
    row('send-awaited', 'redis', 'NestJS microservices', 1.5),
    row('send-concurrent', 'redis', 'NestJS microservices', 1.05),
    row('consume-c1', 'kafka', 'NestJS microservices', 0.5),
    row('consume-c16', 'rabbitmq', 'Moleculer Channels', 0.95),
    cpuRow('cloudevents-consume', 'kafka', "eventwire's own envelope", 1.04, 1.05, 'msg'),
    cpuRow('otel-api-send', 'redis', 'telemetry off (`telemetry: false`)', 1.03, 1.02, 'msg'),
    cpuRow('otel-api-http', 'redis', 'telemetry off (`telemetry: false`)', 1.01, 1.02, 'req'),
    cpuRow('http-express', 'redis', 'same route without middleware', 1.4, 2),
  ],
};

/** A quick `--cluster` bench run on a named commit, on the three clusters; one case failed. */
export const fixtureClusterRun: ClusterRunSummary = {
  finishedAt: '2026-12-07T13:00:00.000Z',
  commit: '0123456789ab',
  mode: 'quick',
  reps: 3,
  build: 'tsc build',
  machine: { cpu: 'Test CPU', cores: 2, memoryGb: 8, os: 'Linux', node: 'v22.0.0', loadAverage: [4, 3, 2], brokers: { redis: '7.0.15', rabbitmq: '3.10.8', kafka: '4.1.1' } },
  loadAverageAtEnd: [5, 4, 3],
  rows: [
    row('send-awaited', 'redis', 'raw client', 0.97),
    row('send-concurrent', 'rabbitmq', 'raw client', 1.1),
    { ...row('consume-c16', 'kafka', 'raw client', 0.9), eventwire: undefined, ratio: undefined, verdict: 'error', remark: 'eventwire: timed out after 90 s' },
  ],
};

/** An outbox bench run on a named commit: every measurement, one relay batch size failed. */
export const fixtureOutboxResults: OutboxResults = {
  finishedAt: '2026-12-07T12:00:00.000Z',
  commit: '0123456789ab',
  mode: 'smoke',
  sizes: { stagingTransactions: 200, relayRows: 2_000, relays: [{ batchSize: 100, batchesInFlight: 1 }, { batchSize: 500, batchesInFlight: 2 }], latencyRate: 200, latencySeconds: 2, inboxMessages: 500, inboxConcurrency: 8 },
  machine: { cpu: 'Test CPU', cores: 2, memoryGb: 8, os: 'Linux', node: 'v22.0.0', loadAverage: [0.5, 0.5, 0.5], brokers: {} },
  postgres: '16.4',
  staging: { transactions: 200, plainMs: 1.2, stagedMs: 1.45, addedMs: 0.25, ratio: 1.45 / 1.2, withMs: 1.25, withAddedMs: 0.05, preparedPlainMs: 1.1, preparedWithMs: 1.17, preparedWithAddedMs: 0.07 },
  throughput: [
    { broker: 'redis', batchSize: 100, rows: 2_000, relayRate: 12_000, rawRate: 24_000 },
    { broker: 'kafka', batchSize: 500, batchesInFlight: 2, rows: 2_000, error: 'the relay publishing 2000 rows (published 12) did not happen within 140 s' },
  ],
  latency: [{ broker: 'memory', events: 400, rate: 199, p50Ms: 2.5, p99Ms: 20 }],
  inbox: [{ broker: 'redis', messages: 500, withInboxUs: 900, withoutInboxUs: 500 }],
};

/** A made-up CloudEvents probe run: a pass, a miss, and a broker whose rounds failed. */
export const fixtureEnvelopeResults: EnvelopeResults = {
  finishedAt: '2026-12-07T12:00:00.000Z',
  commit: '0123456789ab',
  build: 'tsc build',
  machine: { cpu: 'Test CPU', cores: 2, memoryGb: 8, os: 'Linux', node: 'v22.0.0', loadAverage: [0.5, 0.5, 0.5], brokers: {} },
  rows: [
    { broker: 'redis', kind: 'consume', rounds: 20, round: '10000 messages', eventwire: { rate: 9_000, cpu: 90 }, cloudevents: { rate: 9_200, cpu: 89 }, rate: { median: 1.02, p25: 0.97, p75: 1.08 }, cpu: { median: 0.99, p25: 0.93, p75: 1.04 } },
    { broker: 'kafka', kind: 'consume', rounds: 20, round: '100000 messages', eventwire: { rate: 100_000, cpu: 10 }, cloudevents: { rate: 80_000, cpu: 12.5 }, rate: { median: 0.8, p25: 0.76, p75: 0.85 }, cpu: { median: 1.25, p25: 1.2, p75: 1.3 } },
    { broker: 'rabbitmq', kind: 'send-awaited', rounds: 20, round: '0.5 s', error: 'ewb-envelope-1-rabbitmq-send-awaited-0-eventwire: the broker closed the connection' },
  ],
};
