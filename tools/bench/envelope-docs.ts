import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { finished, replaceSections } from './docs.js';
import type { Machine } from './machine.js';
import type { BrokerId } from './types.js';
import { fixed as number } from './report.js';

/**
 * Keeps the CloudEvents figures of docs/benchmarks.md true: `envelope-probe.ts` over every broker
 * and both scenarios writes tools/bench/envelope-results.json and rewrites the section between
 * its markers; `npx tsx tools/bench/envelope-docs.ts` re-renders it from that file.
 */

const docPath = new URL('../../docs/benchmarks.md', import.meta.url);
/** Where a probe over every broker and scenario writes its results (git-ignored: a run's output). */
export const envelopeResultsPath = new URL('./envelope-results.json', import.meta.url);
/** The generated section of docs/benchmarks.md. */
export const envelopeSection = 'envelope-probe';
/** The target of issue 12: binary mode within 5 % of eventwire's envelope, on rate and on CPU. */
export const envelopeTarget = { rate: 0.95, cpu: 1.05 } as const;

/** The median of paired ratios (CloudEvents binary ÷ eventwire's envelope, one per round) and their quartiles. */
export interface PairedRatio {
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
}

/** One broker and scenario of a probe run: each side's medians, and the paired ratios. */
export interface EnvelopeRow {
  readonly broker: BrokerId;
  readonly kind: 'consume' | 'send-awaited';
  readonly rounds: number;
  /** What one round of one side is: messages drained, or seconds of awaited sends. */
  readonly round: string;
  readonly eventwire?: { readonly rate: number; readonly cpu: number };
  readonly cloudevents?: { readonly rate: number; readonly cpu: number };
  readonly rate?: PairedRatio;
  readonly cpu?: PairedRatio;
  readonly error?: string;
}

/** What envelope-probe.ts writes: the run, the commit it measured, the machine, one row per broker and scenario. */
export interface EnvelopeResults {
  readonly finishedAt: string;
  readonly commit: string;
  readonly build: string;
  readonly machine: Machine;
  readonly rows: readonly EnvelopeRow[];
}

const paired = (ratio: PairedRatio | undefined): string => (ratio === undefined ? '—' : `${number(ratio.median, 3)}× (${number(ratio.p25, 2)}–${number(ratio.p75, 2)})`);
const side = (figures: EnvelopeRow['eventwire']): string => (figures === undefined ? '—' : `${number(figures.rate, 0)} msg/s, ${number(figures.cpu, 1)} µs CPU/msg`);

/** `pass` when both medians meet the target, `FAIL` when one misses it, `error` without figures. */
export function verdict(row: EnvelopeRow): 'pass' | 'FAIL' | 'error' {
  if (row.rate === undefined || row.cpu === undefined) return 'error';
  return row.rate.median >= envelopeTarget.rate && row.cpu.median <= envelopeTarget.cpu ? 'pass' : 'FAIL';
}

/** The header row of the section's table. */
export const envelopeTableHeader = '| scenario | broker | rounds | eventwire\'s envelope | CloudEvents binary | rate, binary ÷ envelope | CPU per message, binary ÷ envelope | result |';

/** The first line: which run, on which commit, on what. */
function heading(run: EnvelopeResults): string {
  const { machine } = run;
  return `Latest probe run: ${finished(run)} UTC, commit ${run.commit}, eventwire from its ${run.build}; ${machine.cpu} × ${machine.cores}, Node ${machine.node}, load ${machine.loadAverage.join(' ')} at start.`;
}

/**
 * The generated section as the run renders it: the heading, then one row per broker and
 * scenario (medians of each side, then the median paired ratio with its quartiles), then any
 * error under the table.
 */
export function renderEnvelopeSection(run: EnvelopeResults): string {
  const scenario = (kind: EnvelopeRow['kind']): string => (kind === 'consume' ? 'cloudevents-consume' : 'cloudevents-send');
  const rows = run.rows.map((row) => `| ${scenario(row.kind)} | ${row.broker} | ${row.rounds} × ${row.round} | ${side(row.eventwire)} | ${side(row.cloudevents)} | ${paired(row.rate)} | ${paired(row.cpu)} | ${verdict(row)} |`);
  const errors = run.rows.filter((row) => row.error !== undefined).map((row) => `- ${scenario(row.kind)} / ${row.broker}: ${(row.error ?? '').replaceAll('\n', ' ')}`);
  const separator = envelopeTableHeader.replace(/[^|]+/g, '---');
  return [heading(run), '', envelopeTableHeader, separator, ...rows, ...(errors.length > 0 ? ['', ...errors] : [])].join('\n');
}

/**
 * Replaces the generated section of docs/benchmarks.md with the run's; false, and nothing
 * written, when its markers are missing.
 *
 * @example
 * if (updateEnvelopeDoc(run)) console.log('docs/benchmarks.md rewritten');
 */
export const updateEnvelopeDoc = (run: EnvelopeResults, path: URL = docPath): boolean => replaceSections(path, { [envelopeSection]: renderEnvelopeSection(run) });

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const run = JSON.parse(readFileSync(envelopeResultsPath, 'utf8')) as EnvelopeResults;
  const updated = updateEnvelopeDoc(run);
  console.log(updated ? 'docs/benchmarks.md: the CloudEvents probe section rewritten from tools/bench/envelope-results.json' : 'docs/benchmarks.md: markers not found');
  process.exitCode = updated ? 0 : 1;
}
