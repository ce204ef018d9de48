import { workOf, type CaseResult, type CaseSpec, type Comparison, type Metric, type Scenario, type Work } from './types.js';

/** Turns the runs of each scenario into table rows, judged against the targets. */

export interface CaseSummary {
  readonly spec: CaseSpec;
  readonly runs: readonly CaseResult[];
  /** Median of the runs that succeeded, per metric. */
  readonly median: Partial<Record<Metric, number>>;
  /** Largest peak RSS over the runs, in MiB. */
  readonly peakRssMb: number | undefined;
  readonly errors: readonly string[];
  readonly notes: readonly string[];
}

export interface Row {
  readonly scenario: string;
  readonly broker: string;
  readonly against: string;
  readonly metric: Metric;
  /**
   * What a `cpu` figure is per. Missing in results files written before send and consume cases
   * measured CPU, when only HTTP cases did: per request.
   */
  readonly work?: Work;
  readonly eventwire: number | undefined;
  readonly baseline: number | undefined;
  readonly ratio: number | undefined;
  readonly target: string;
  /** `pass` / `FAIL`; `info` without a target; `error` when a side has no figure. */
  readonly verdict: 'pass' | 'FAIL' | 'info' | 'error';
  readonly eventwireRssMb: number | undefined;
  readonly baselineRssMb: number | undefined;
  readonly remark: string;
}

export const median = (values: readonly number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

export function summarize(spec: CaseSpec, runs: readonly CaseResult[]): CaseSummary {
  const ok = runs.filter((run) => run.error === undefined);
  const metrics = [...new Set(ok.flatMap((run) => Object.keys(run.metrics) as Metric[]))];
  const rss = runs.map((run) => run.maxRssKb).filter((kb): kb is number => kb !== undefined);
  return {
    spec,
    runs,
    median: Object.fromEntries(metrics.map((metric) => [metric, median(ok.map((run) => run.metrics[metric]).filter((v): v is number => v !== undefined))])),
    peakRssMb: rss.length === 0 ? undefined : Math.max(...rss) / 1024,
    errors: [...new Set(runs.map((run) => run.error).filter((error): error is string => error !== undefined))],
    notes: [...new Set(runs.map((run) => run.note).filter((note): note is string => note !== undefined))],
  };
}

const targetText = (comparison: Comparison): string => {
  const { target } = comparison;
  if (target === undefined) return '—';
  return `${target.kind === 'min' ? '≥' : '≤'} ${target.ratio}×`;
};

export function rowsOf(scenario: Scenario, cases: Readonly<Record<string, CaseSummary>>): Row[] {
  return scenario.comparisons.map((comparison) => {
    const ours = cases[comparison.side ?? 'eventwire'];
    const theirs = cases[comparison.against];
    const { without } = comparison;
    const eventwire = without === undefined ? ours?.median[comparison.metric] : addedMicros(comparison.metric, ours, cases[without.eventwire]);
    const baseline = without === undefined ? theirs?.median[comparison.metric] : addedMicros(comparison.metric, theirs, cases[without.baseline]);
    const ratio = eventwire !== undefined && baseline !== undefined && baseline > 0 ? eventwire / baseline : undefined;
    const { target } = comparison;
    let verdict: Row['verdict'] = 'info';
    if (ratio === undefined) verdict = 'error';
    else if (target !== undefined) verdict = (target.kind === 'min' ? ratio >= target.ratio : ratio <= target.ratio) ? 'pass' : 'FAIL';
    const remarks = [
      ...(ours?.errors ?? []).map((error) => `eventwire: ${error}`),
      ...(theirs?.errors ?? []).map((error) => `${comparison.against}: ${error}`),
      ...(comparison.metric === 'rate' ? (theirs?.notes ?? []).map((note) => `${comparison.against}: ${note}`) : []),
      // HTTP: the events each side's broker acknowledged (and failed requests), once per comparison.
      ...(comparison.metric === 'rps' ? [...(ours?.notes ?? []), ...(theirs?.notes ?? []).map((note) => `${comparison.against}: ${note}`)] : []),
    ];
    return {
      scenario: scenario.id,
      broker: scenario.broker,
      against: comparison.label,
      metric: comparison.metric,
      ...(comparison.metric === 'cpu' ? { work: workOf(scenario.cases.eventwire?.kind ?? 'http') } : {}),
      eventwire,
      baseline,
      ratio,
      target: targetText(comparison),
      verdict,
      eventwireRssMb: ours?.peakRssMb,
      baselineRssMb: theirs?.peakRssMb,
      remark: remarks.join('; '),
    };
  });
}

/**
 * µs per message that `traced` takes more than `plain`: from their median rates (`overhead`) or
 * their median CPU per message (`cpu-overhead`); undefined without both.
 */
function addedMicros(metric: Metric, traced: CaseSummary | undefined, plain: CaseSummary | undefined): number | undefined {
  if (metric === 'cpu-overhead') {
    const [more, less] = [traced?.median.cpu, plain?.median.cpu];
    return more === undefined || less === undefined ? undefined : more - less;
  }
  const [slow, fast] = [traced?.median.rate, plain?.median.rate];
  return slow === undefined || fast === undefined || slow <= 0 || fast <= 0 ? undefined : 1e6 / slow - 1e6 / fast;
}

const units: Record<Exclude<Metric, 'cpu'>, string> = { rate: 'msg/s', rps: 'req/s', p99: 'ms p99', overhead: 'µs/msg added', 'cpu-overhead': 'µs CPU/msg added' };

/** The unit a figure of `metric` is written with; `work` says what a CPU figure is per. */
export const unitOf = (metric: Metric, work: Work = 'req'): string => (metric === 'cpu' ? `µs CPU/${work}` : units[metric]);

/**
 * A figure with its unit, as the tables write it; `work` says what a CPU figure is per
 * (default: per request, as in results files from before send and consume cases measured CPU).
 */
/** `value` with exactly `digits` decimals and thousands separators, as every table of the bench writes numbers. */
export const fixed = (value: number, digits: number): string => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const formatValue = (value: number | undefined, metric: Metric, work?: Work): string => {
  if (value === undefined) return '—';
  // CPU per message on the in-process broker is small: one decimal would hide differences of several percent.
  const cpu = metric === 'cpu' || metric === 'cpu-overhead';
  const digits = cpu && Math.abs(value) < 10 ? 2 : metric === 'p99' || cpu || metric === 'overhead' || Math.abs(value) < 100 ? 1 : 0;
  return `${fixed(value, digits)} ${unitOf(metric, work)}`;
};

const mb = (value: number | undefined): string => (value === undefined ? '—' : value.toFixed(0));

const cells = (row: Row): string[] => [
  row.scenario,
  row.broker,
  row.against,
  formatValue(row.eventwire, row.metric, row.work),
  formatValue(row.baseline, row.metric, row.work),
  row.ratio === undefined ? '—' : `${row.ratio.toFixed(2)}×`,
  row.target,
  row.verdict,
  `${mb(row.eventwireRssMb)} / ${mb(row.baselineRssMb)}`,
];

const header = ['scenario', 'broker', 'against', 'eventwire', 'baseline', 'ratio', 'target', 'result', 'peak RSS MB (ew / base)'];

/** The table for the terminal, columns aligned; remarks follow underneath. */
export function textTable(rows: readonly Row[]): string {
  const table = [header, ...rows.map(cells)];
  const widths = header.map((_, column) => Math.max(...table.map((line) => (line[column] ?? '').length)));
  const lines = table.map((line) => line.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  const remarks = rows.filter((row) => row.remark !== '').map((row) => `  ${row.scenario}/${row.broker} vs ${row.against}: ${row.remark}`);
  return [...lines, ...(remarks.length > 0 ? ['', 'Remarks:', ...[...new Set(remarks)]] : [])].join('\n');
}

/** The same table in Markdown, remarks as a list below it. */
export function markdownTable(rows: readonly Row[]): string {
  const line = (values: readonly string[]): string => `| ${values.map((value) => value.replaceAll('|', '\\|')).join(' | ')} |`;
  const remarks = [...new Set(rows.filter((row) => row.remark !== '').map((row) => `- ${row.scenario} / ${row.broker} vs ${row.against}: ${row.remark}`))];
  return [line(header), line(header.map(() => '---')), ...rows.map((row) => line(cells(row))), ...(remarks.length > 0 ? ['', ...remarks] : [])].join('\n');
}
