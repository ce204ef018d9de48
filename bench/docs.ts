import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import type { Machine } from './machine.js';
import { markdownTable, type Row } from './report.js';

/**
 * Keeps the results table of docs/benchmarks.md true: a run over every broker and scenario
 * rewrites the part between the markers, and `npx tsx bench/docs.ts` re-renders it from
 * bench/results.json.
 */

const docPath = new URL('../docs/benchmarks.md', import.meta.url);
const resultsPath = new URL('./results.json', import.meta.url);
const start = '<!-- results:start -->';
const end = '<!-- results:end -->';

/** The parts of bench/results.json the table is made of. */
export interface RunSummary {
  readonly finishedAt: string | Date;
  readonly mode: string;
  readonly reps: number;
  readonly build: string;
  readonly machine: Machine;
  readonly rows: readonly Row[];
}

/** The line above the table: when, how and on what the run was made. */
export function resultsHeading(run: RunSummary): string {
  const { machine } = run;
  const finished = new Date(run.finishedAt).toISOString().slice(0, 16).replace('T', ' ');
  return `Latest run: ${finished} UTC, ${run.mode} mode, median of ${run.reps}, eventwire from its ${run.build}; ${machine.cpu} × ${machine.cores}, ${machine.memoryGb} GB, Node ${machine.node}, load ${machine.loadAverage.join(' ')} at start.`;
}

/** Replaces the results section of docs/benchmarks.md with the run's table; false when the markers are missing. */
export function updateResultsDoc(run: RunSummary, path: URL = docPath): boolean {
  const text = readFileSync(path, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return false;
  writeFileSync(path, `${text.slice(0, from + start.length)}\n${resultsHeading(run)}\n\n${markdownTable(run.rows)}\n${text.slice(to)}`);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const run = JSON.parse(readFileSync(resultsPath, 'utf8')) as RunSummary;
  const updated = updateResultsDoc(run);
  console.log(updated ? 'docs/benchmarks.md: table rewritten from bench/results.json' : 'docs/benchmarks.md: markers not found');
  process.exitCode = updated ? 0 : 1;
}
