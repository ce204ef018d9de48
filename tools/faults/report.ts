import { writeFile } from 'node:fs/promises';
import type { ScenarioResult } from './types.js';

/** One row of the report: a scenario's result on one broker and how long it ran. */
export interface ReportEntry extends ScenarioResult {
  readonly durationMs: number;
}

/** What `npm run faults` writes to tools/faults/report.json. */
export interface Report {
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly quick: boolean;
  readonly node: string;
  /** The commit measured (`git rev-parse --short=12 HEAD`), with `-dirty` when the work tree had changes. */
  readonly commit?: string;
  readonly results: readonly ReportEntry[];
  /** Every scenario ok and nothing lost. */
  readonly ok: boolean;
}

/**
 * Builds the report of a run.
 *
 * @example
 * const report = createReport({ startedAt, commit: currentCommit(), quick: false, results });
 */
export function createReport(run: { readonly startedAt: Date; readonly commit: string; readonly quick: boolean; readonly results: readonly ReportEntry[] }): Report {
  return {
    startedAt: run.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: run.quick,
    node: process.version,
    commit: run.commit,
    results: run.results,
    ok: passed(run.results),
  };
}

/** True when every result is ok and none lost a message. */
export function passed(results: readonly ScenarioResult[]): boolean {
  return results.every((result) => result.ok && result.lost === 0);
}

/**
 * Writes the report as JSON.
 *
 * @example
 * await writeReport('tools/faults/report.json', report);
 */
export async function writeReport(path: string, report: Report): Promise<void> {
  await writeFile(path, `${JSON.stringify(report, null, 2)}\n`);
}

const columns: readonly { readonly title: string; readonly value: (entry: ReportEntry) => string; readonly right?: boolean }[] = [
  { title: 'broker', value: (entry) => entry.broker },
  { title: 'scenario', value: (entry) => entry.scenario },
  { title: 'sent', value: (entry) => String(entry.sent), right: true },
  { title: 'acknowledged', value: (entry) => String(entry.acknowledged), right: true },
  { title: 'handled', value: (entry) => String(entry.handled), right: true },
  { title: 'dead-lettered', value: (entry) => String(entry.deadLettered), right: true },
  { title: 'lost', value: (entry) => String(entry.lost), right: true },
  { title: 'duplicated', value: (entry) => String(entry.duplicated), right: true },
  { title: 'recovery', value: (entry) => (entry.recoveryMs === null ? '-' : `${entry.recoveryMs} ms`), right: true },
  { title: 'time', value: (entry) => `${(entry.durationMs / 1000).toFixed(1)} s`, right: true },
  { title: 'ok', value: (entry) => (entry.ok && entry.lost === 0 ? 'yes' : 'NO') },
];

/**
 * The report as a plain-text table, one row per broker and scenario, then each row's notes.
 *
 * @example
 * console.log(formatTable(report.results));
 */
export function formatTable(results: readonly ReportEntry[]): string {
  const cells = results.map((entry) => columns.map((column) => column.value(entry)));
  const widths = columns.map((column, index) => Math.max(column.title.length, ...cells.map((row) => (row[index] ?? '').length)));
  const line = (row: readonly string[]): string =>
    row
      .map((cell, index) => (columns[index]?.right === true ? cell.padStart(widths[index] ?? 0) : cell.padEnd(widths[index] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [line(columns.map((column) => column.title)), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)];
  for (const entry of results) {
    if (entry.notes.length === 0) continue;
    out.push('', `${entry.broker} / ${entry.scenario}:`, ...entry.notes.map((note) => `  - ${note}`));
  }
  return out.join('\n');
}
