import type { Row } from './report.js';
import type { Metric } from './types.js';

/**
 * The summary of docs/benchmarks.md, rendered from the rows of tools/bench/results.json: the spread
 * between repetitions, the ratios to the raw clients, and where eventwire stands against each peer.
 * Every figure in it comes from the results file, so none is typed by hand.
 */

/** A ratio within this distance of 1 is a tie: the repetitions of one case spread wider than that. */
export const tieMargin = 0.1;

/** The repetitions of one scenario's cases, as tools/bench/results.json keeps them. */
export interface ScenarioRuns {
  readonly id: string;
  readonly broker: string;
  readonly cases: Readonly<Record<string, { readonly runs: readonly { readonly metrics: Partial<Record<Metric, number>> }[] }>>;
}

const brokerColumns = [
  ['redis', 'Redis'],
  ['rabbitmq', 'RabbitMQ'],
  ['kafka', 'Kafka'],
  ['memory', 'memory'],
] as const;

const otelOff = 'telemetry off (`telemetry: false`)';

/** One line of the ratio table: its title and, per cell, the rows it shows (joined by " / "). */
const ratioLines: readonly { readonly title: string; readonly parts: readonly { readonly scenario: string; readonly against: readonly string[]; readonly metric: Metric }[] }[] = [
  { title: 'awaited `send()`', parts: [{ scenario: 'send-awaited', against: ['raw client', 'broker port direct'], metric: 'rate' }] },
  { title: '100 concurrent `send()`', parts: [{ scenario: 'send-concurrent', against: ['raw client', 'broker port direct'], metric: 'rate' }] },
  { title: 'fire-and-forget vs raw awaited', parts: [{ scenario: 'fire-and-forget', against: ['raw, awaited per message'], metric: 'rate' }] },
  {
    title: 'consume, concurrency 1 / 16',
    parts: ['consume-c1', 'consume-c16'].map((scenario) => ({ scenario, against: ['raw client', 'broker port direct'], metric: 'rate' as const })),
  },
  {
    title: 'HTTP rps with `eventMiddleware` vs the route without events, Express / Koa',
    parts: ['http-express', 'http-koa'].map((scenario) => ({ scenario, against: ['same route without middleware'], metric: 'rps' as const })),
  },
  {
    title: 'HTTP rps with `eventMiddleware` vs the route publishing by hand with the raw client, Express / Koa',
    parts: ['http-express', 'http-koa'].map((scenario) => ({ scenario, against: ['same route, raw client publishing by hand'], metric: 'rps' as const })),
  },
  {
    title: "CloudEvents binary vs eventwire's envelope, awaited `publishEvent` / consume",
    parts: ['cloudevents-send', 'cloudevents-consume'].map((scenario) => ({ scenario, against: ["eventwire's own envelope"], metric: 'rate' as const })),
  },
  {
    title: "CPU per message, CloudEvents binary vs eventwire's envelope, awaited `publishEvent` / consume",
    parts: ['cloudevents-send', 'cloudevents-consume'].map((scenario) => ({ scenario, against: ["eventwire's own envelope"], metric: 'cpu' as const })),
  },
  {
    title: '`@opentelemetry/api` installed, no SDK, vs `telemetry: false`: send / consume / HTTP',
    parts: [
      { scenario: 'otel-api-send', against: [otelOff], metric: 'rate' as const },
      { scenario: 'otel-api-consume', against: [otelOff], metric: 'rate' as const },
      { scenario: 'otel-api-http', against: [otelOff], metric: 'rps' as const },
    ],
  },
  {
    title: 'CPU per message (HTTP: per request), `@opentelemetry/api` installed, no SDK, vs `telemetry: false`: send / consume / HTTP',
    parts: ['otel-api-send', 'otel-api-consume', 'otel-api-http'].map((scenario) => ({ scenario, against: [otelOff], metric: 'cpu' as const })),
  },
];

const peers = ['NestJS microservices', 'Moleculer Channels'] as const;

const ratioText = (ratio: number | undefined): string => (ratio === undefined ? '—' : ratio.toFixed(2));

function find(rows: readonly Row[], scenario: string, broker: string, against: readonly string[], metric: Metric): Row | undefined {
  return rows.find((row) => row.scenario === scenario && row.broker === broker && against.includes(row.against) && row.metric === metric);
}

/**
 * How far the repetitions of a case moved from their median, in the given metrics (by default
 * throughput), as fractions: the largest over every case and the median over the cases.
 */
export function spread(scenarios: readonly ScenarioRuns[], metrics: readonly Metric[] = ['rate', 'rps']): { readonly largest: number; readonly typical: number } | undefined {
  const deviations: number[] = [];
  for (const scenario of scenarios) {
    for (const { runs } of Object.values(scenario.cases)) {
      for (const metric of metrics) {
        const values = runs.map((run) => run.metrics[metric]).filter((value): value is number => value !== undefined).sort((a, b) => a - b);
        if (values.length < 2) continue;
        const middle = values.length % 2 === 1 ? (values[(values.length - 1) / 2] ?? 0) : ((values[values.length / 2 - 1] ?? 0) + (values[values.length / 2] ?? 0)) / 2;
        if (middle > 0) deviations.push(Math.max(...values.map((value) => Math.abs(value - middle) / middle)));
      }
    }
  }
  if (deviations.length === 0) return undefined;
  deviations.sort((a, b) => a - b);
  return { largest: deviations[deviations.length - 1] ?? 0, typical: deviations[Math.floor(deviations.length / 2)] ?? 0 };
}

/** The table of ratios to the raw clients, one column per broker, each line with its target. */
export function ratioTable(rows: readonly Row[]): string {
  const lines = ratioLines.map(({ title, parts }) => {
    // The line's target, from whichever of its rows the run has (they share it).
    const target = rows.find((row) => parts.some((part) => row.scenario === part.scenario && part.against.includes(row.against) && row.metric === part.metric))?.target;
    const cells = brokerColumns.map(([broker]) => parts.map((part) => ratioText(find(rows, part.scenario, broker, part.against, part.metric)?.ratio)).join(' / '));
    return `| ${title}${target === undefined || target === '—' ? '' : ` (target ${target})`} | ${cells.join(' | ')} |`;
  });
  return ['| eventwire / baseline | Redis | RabbitMQ | Kafka | memory |', '|---|---|---|---|---|', ...lines].join('\n');
}

/** Where eventwire is ahead of, tied with and behind `peer`, by the tie rule, over the throughput rows. */
export function peerLine(rows: readonly Row[], peer: string): string {
  const mine = rows.filter((row) => row.against === peer && row.metric === 'rate');
  const label = (row: Row): string => `${row.broker} ${row.scenario} ${ratioText(row.ratio)}`;
  const ahead = mine.filter((row) => row.ratio !== undefined && row.ratio > 1 + tieMargin);
  const tied = mine.filter((row) => row.ratio !== undefined && Math.abs(row.ratio - 1) <= tieMargin);
  const behind = mine.filter((row) => row.ratio !== undefined && row.ratio < 1 - tieMargin);
  const missing = mine.filter((row) => row.ratio === undefined);
  const part = (name: string, list: readonly Row[], text: (row: Row) => string): string[] => (list.length === 0 ? [] : [`${name} ${list.map(text).join(', ')}`]);
  const parts = [
    ...part('ahead on', ahead, label),
    ...part('tied on', tied, label),
    ...part('behind on', behind, label),
    ...part('no figure for', missing, (row) => `${row.broker} ${row.scenario}`),
  ];
  return `- **${peer}**: ${parts.length === 0 ? 'not measured' : parts.join('; ')}.`;
}

/**
 * The whole summary section: where the figures come from, their spread, the ratio table and the
 * standing against each peer.
 *
 * @example
 * const section = summarySection(rows, scenarios, 'full run of 2026-11-27 13:14 UTC, commit not recorded');
 */
export function summarySection(rows: readonly Row[], scenarios: readonly ScenarioRuns[] | undefined, origin: string): string {
  const moved = scenarios === undefined ? undefined : spread(scenarios);
  const cpuMoved = scenarios === undefined ? undefined : spread(scenarios, ['cpu']);
  const percent = (fraction: number): string => `${Math.round(fraction * 100)} %`;
  const cpuNoise = cpuMoved === undefined ? '' : ` Its CPU time per message or request moved by up to ${percent(cpuMoved.largest)} (${percent(cpuMoved.typical)}).`;
  const noise =
    moved === undefined
      ? 'The results file keeps no repetitions to measure the spread from.'
      : `Between repetitions, a case's throughput moved from its median by up to ${percent(moved.largest)} (${percent(moved.typical)} for the median case).${cpuNoise}`;
  return [
    `From \`tools/bench/results.json\`, ${origin}. ${noise} By this page's rule, a ratio within ${tieMargin} of 1 is a tie, not a verdict.`,
    '',
    ratioTable(rows),
    '',
    'Against the peers (throughput, eventwire / peer):',
    '',
    ...peers.map((peer) => peerLine(rows, peer)),
  ].join('\n');
}
