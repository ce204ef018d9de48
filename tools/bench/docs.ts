import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Machine } from './machine.js';
import { markdownTable, type Row } from './report.js';
import { summarySection, type ScenarioRuns } from './summary.js';

/**
 * Keeps the figures of docs/benchmarks.md true: a run over every broker and scenario rewrites the
 * summary and the results table between their markers, and `npx tsx tools/bench/docs.ts` re-renders
 * both from tools/bench/results.json.
 */

const docPath = new URL('../../docs/benchmarks.md', import.meta.url);
/** Where every run writes its results (git-ignored: a run's output, not a source). */
export const resultsPath = new URL('./results.json', import.meta.url);
/** The generated sections of docs/benchmarks.md, by marker name. */
export const benchSections = ['summary', 'results'] as const;

/** The parts of tools/bench/results.json the generated sections are made of. */
export interface RunSummary {
  readonly finishedAt: string | Date;
  /** The commit measured; missing from results files written before the bench recorded it. */
  readonly commit?: string;
  readonly mode: string;
  readonly reps: number;
  readonly build: string;
  readonly machine: Machine;
  readonly rows: readonly Row[];
  readonly scenarios?: readonly ScenarioRuns[];
}

/** When the run finished, to the minute, as the generated sections name it (UTC). */
export const finished = (run: Pick<RunSummary, 'finishedAt'>): string => new Date(run.finishedAt).toISOString().slice(0, 16).replace('T', ' ');

/** The line above the table: when, on which commit, how and on what the run was made. */
export function resultsHeading(run: RunSummary): string {
  const { machine } = run;
  return `Latest run: ${finished(run)} UTC, commit ${run.commit ?? 'not recorded'}, ${run.mode} mode, median of ${run.reps}, eventwire from its ${run.build}; ${machine.cpu} × ${machine.cores}, ${machine.memoryGb} GB, Node ${machine.node}, load ${machine.loadAverage.join(' ')} at start.`;
}

/**
 * Each generated section of docs/benchmarks.md as the run renders it, by marker name.
 *
 * @example
 * const { summary } = renderSections(run);
 */
export function renderSections(run: RunSummary): Record<(typeof benchSections)[number], string> {
  const origin = `${run.mode} run of ${finished(run)} UTC, commit ${run.commit ?? 'not recorded'}, median of ${run.reps} on ${run.machine.cpu} × ${run.machine.cores}`;
  return {
    summary: summarySection(run.rows, run.scenarios, origin),
    results: `${resultsHeading(run)}\n\n${markdownTable(run.rows)}`,
  };
}

/**
 * Replaces every generated section of docs/benchmarks.md with the run's; false, and nothing
 * written, when a section's markers are missing.
 *
 * @example
 * if (updateResultsDoc(run)) console.log('docs/benchmarks.md rewritten');
 */
export function updateResultsDoc(run: RunSummary, path: URL = docPath): boolean {
  return replaceSections(path, renderSections(run));
}

/**
 * Replaces, in the document at `path`, the text between each section's markers
 * (`<!-- name:start -->`, `<!-- name:end -->`) with the given one; false, and nothing written,
 * when a section's markers are missing.
 *
 * @example
 * replaceSections(new URL('../../docs/clusters.md', import.meta.url), { 'cluster-bench': table });
 */
export function replaceSections(path: URL, sections: Readonly<Record<string, string>>): boolean {
  let text = readFileSync(path, 'utf8');
  for (const [name, body] of Object.entries(sections)) {
    const start = `<!-- ${name}:start -->`;
    const from = text.indexOf(start);
    const to = text.indexOf(`<!-- ${name}:end -->`);
    if (from < 0 || to < from) return false;
    text = `${text.slice(0, from + start.length)}\n${body}\n${text.slice(to)}`;
  }
  writeFileSync(path, text);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const run = JSON.parse(readFileSync(resultsPath, 'utf8')) as RunSummary;
  const updated = updateResultsDoc(run);
  console.log(updated ? 'docs/benchmarks.md: summary and table rewritten from tools/bench/results.json' : 'docs/benchmarks.md: markers not found');
  process.exitCode = updated ? 0 : 1;
}
