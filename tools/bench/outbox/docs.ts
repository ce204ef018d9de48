import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { targets } from './sizes.js';
import type { OutboxResults, StagingResult } from './types.js';
import { fixed as number } from '../report.js';

/**
 * Keeps the figures of docs/outbox.md true: `npm run bench:outbox` over every broker rewrites
 * the section between its markers from tools/bench/outbox/results.json, and
 * `npx tsx tools/bench/outbox/docs.ts` re-renders it from that file.
 */

const docPath = new URL('../../../docs/outbox.md', import.meta.url);
/** Where a run over every broker writes its results (git-ignored: a run's output, not a source). */
export const outboxResultsPath = new URL('./results.json', import.meta.url);
/** The generated section of docs/outbox.md. */
export const outboxSection = 'outbox-bench';

const ratio = (ours: number | undefined, base: number | undefined): string => (ours === undefined || base === undefined || base <= 0 ? '—' : `${number(ours / base, 2)}×`);
const met = (ok: boolean | undefined): string => (ok === undefined ? 'error' : ok ? 'met' : 'not met');
const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;

/** The first line: which run, on which commit, on what. */
function heading(run: OutboxResults): string {
  const when = new Date(run.finishedAt).toISOString().slice(0, 16).replace('T', ' ');
  const { machine } = run;
  const head = `Latest ${run.mode} run: ${when} UTC, commit ${run.commit}, PostgreSQL ${run.postgres}, Node ${machine.node}; ${machine.cpu} × ${machine.cores}, load ${machine.loadAverage.join(' ')} at start.`;
  return run.mode === 'smoke' ? `${head} A smoke run (small sizes, a loaded machine) shows that the bench works, not what the outbox costs.` : head;
}

const added = (ms: number | undefined): string => (ms === undefined ? '—' : `${number(ms, 3)} ms`);
const withTarget = (ms: number | undefined): string => `≤ ${targets.addedMs} ms added (${added(ms)})`;
const withMet = (ms: number | undefined): string => met(ms === undefined ? undefined : ms <= targets.addedMs);

/** The staging rows: `stage()`, `stageWith()`, and `stageWith()` prepared against a prepared insert. */
function stagingRows(staging: StagingResult | undefined): string[] {
  const ms = (value: number | undefined): string => (value === undefined ? 'not measured' : `${number(value, 3)} ms`);
  const without = (value: number | undefined): string => (value === undefined ? '—' : `${number(value, 3)} ms without an event`);
  if (staging === undefined) return [line(['staging, ms per transaction', '—', 'error', '—', '—', withTarget(undefined), 'error'])];
  const { plainMs, preparedPlainMs, preparedWithMs } = staging;
  return [
    line(['staging by stage() after the insert, ms per transaction', '—', ms(staging.stagedMs), without(plainMs), ratio(staging.stagedMs, plainMs), `one statement of its own (${added(staging.addedMs)} added)`, 'info']),
    line(['staging by stageWith() in the insert, ms per transaction', '—', ms(staging.withMs), without(plainMs), ratio(staging.withMs, plainMs), withTarget(staging.withAddedMs), withMet(staging.withAddedMs)]),
    line(['staging by stageWith() prepared, in a prepared insert, ms per transaction', '—', ms(preparedWithMs), without(preparedPlainMs), ratio(preparedWithMs, preparedPlainMs), withTarget(staging.preparedWithAddedMs), withMet(staging.preparedWithAddedMs)]),
  ];
}

function rows(run: OutboxResults): { table: string[]; errors: string[] } {
  const table: string[] = [];
  const errors: string[] = [];
  const { staging } = run;
  if (staging === undefined) errors.push(`staging: ${run.stagingError ?? 'not measured'}`);
  table.push(...stagingRows(staging));
  for (const result of run.throughput) {
    const inFlight = result.batchesInFlight ?? 1;
    const shape = `batch ${result.batchSize}${inFlight === 1 ? '' : `, ${inFlight} in flight`}`;
    if (result.error !== undefined) errors.push(`relay ${result.broker}, ${shape}: ${result.error}`);
    const rate = result.relayRate;
    table.push(line([`relay, ${shape}, ${result.rows} rows`, result.broker, rate === undefined ? 'error' : `${number(rate, 0)} events/s`, result.rawRate === undefined ? '—' : `${number(result.rawRate, 0)} msg/s raw client`, ratio(rate, result.rawRate), `≥ ${number(targets.relayRate, 0)} events/s`, met(rate === undefined ? undefined : rate >= targets.relayRate)]));
  }
  for (const result of run.latency) {
    if (result.error !== undefined) errors.push(`latency ${result.broker}: ${result.error}`);
    const { p50Ms, p99Ms } = result;
    const figures = p50Ms === undefined || p99Ms === undefined ? 'error' : `p50 ${number(p50Ms, 1)} ms, p99 ${number(p99Ms, 1)} ms`;
    table.push(line([`latency commit → handled, ${result.events} events`, result.broker, figures, result.rate === undefined ? '—' : `staged at ${number(result.rate, 0)}/s`, '—', `p99 ≤ ${targets.p99Ms} ms`, met(p99Ms === undefined ? undefined : p99Ms <= targets.p99Ms)]));
  }
  for (const result of run.inbox) {
    if (result.error !== undefined) errors.push(`inbox ${result.broker}: ${result.error}`);
    const { withInboxUs, withoutInboxUs } = result;
    table.push(line([`inbox, µs per message, ${result.messages} messages`, result.broker, withInboxUs === undefined ? 'error' : `${number(withInboxUs, 0)} µs`, withoutInboxUs === undefined ? '—' : `${number(withoutInboxUs, 0)} µs without inbox`, ratio(withInboxUs, withoutInboxUs), '—', withInboxUs === undefined ? 'error' : 'info']));
  }
  return { table, errors: errors.map((error) => `- ${error.replaceAll('\n', ' ')}`) };
}

/** The header row of the section's table. */
export const outboxTableHeader = '| measurement | broker | outbox | baseline | ratio | target | result |';

/**
 * The generated section of docs/outbox.md as the run renders it.
 *
 * @example
 * const text = renderOutboxSection(run);
 */
export function renderOutboxSection(run: OutboxResults): string {
  const { table, errors } = rows(run);
  return [heading(run), '', outboxTableHeader, '|---|---|---:|---:|---:|---|---|', ...table, ...(errors.length > 0 ? ['', ...errors] : [])].join('\n');
}

/**
 * Replaces the generated section of docs/outbox.md with the run's; false, and nothing written,
 * when its markers are missing.
 *
 * @example
 * if (updateOutboxDoc(run)) console.log('docs/outbox.md rewritten');
 */
export function updateOutboxDoc(run: OutboxResults, path: URL = docPath): boolean {
  const text = readFileSync(path, 'utf8');
  const start = `<!-- ${outboxSection}:start -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(`<!-- ${outboxSection}:end -->`);
  if (from < 0 || to < from) return false;
  writeFileSync(path, `${text.slice(0, from + start.length)}\n${renderOutboxSection(run)}\n${text.slice(to)}`);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const run = JSON.parse(readFileSync(outboxResultsPath, 'utf8')) as OutboxResults;
  const updated = updateOutboxDoc(run);
  console.log(updated ? 'docs/outbox.md: benchmark section rewritten from tools/bench/outbox/results.json' : 'docs/outbox.md: markers not found');
  process.exitCode = updated ? 0 : 1;
}
