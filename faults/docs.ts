import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Report, ReportEntry } from './report.js';

/**
 * Keeps the results table of docs/faults.md true: a complete full run of `npm run faults` rewrites
 * the part between the markers, and `npx tsx faults/docs.ts` re-renders it from faults/report.json.
 */

const docPath = new URL('../docs/faults.md', import.meta.url);
const reportPath = new URL('./report.json', import.meta.url);
const start = '<!-- faults:start -->';
const end = '<!-- faults:end -->';

/** The order the scenarios are numbered in docs/faults.md; any other comes after them. */
const scenarioOrder = ['broker-restart', 'connection-cut', 'worker-killed', 'sigterm-drain', 'poison', 'malformed', 'oversize', 'buffer-while-down', 'slow-handler'];
const brokerOrder = ['memory', 'redis', 'rabbitmq', 'kafka'];

function rank(list: readonly string[], value: string): number {
  const index = list.indexOf(value);
  return index < 0 ? list.length : index;
}

function duration(ms: number | null): string {
  if (ms === null) return '–';
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The report as a Markdown section: a heading line, then one row per scenario and broker.
 *
 * @example
 * const section = markdownSection(JSON.parse(await readFile('faults/report.json', 'utf8')) as Report);
 */
export function markdownSection(report: Report): string {
  const rows = [...report.results].sort(
    (a, b) => rank(scenarioOrder, a.scenario) - rank(scenarioOrder, b.scenario) || rank(brokerOrder, a.broker) - rank(brokerOrder, b.broker),
  );
  const ok = rows.filter((entry: ReportEntry) => entry.ok && entry.lost === 0).length;
  const lost = rows.reduce((sum, entry) => sum + entry.lost, 0);
  const when = report.startedAt.slice(0, 16).replace('T', ' ');
  const heading = `Latest ${report.quick ? 'quick' : 'full'} run: ${when} UTC, Node ${report.node.replace(/^v/, '')}; ${rows.length} combinations, ${ok === rows.length ? 'every one ok' : `${ok} ok`}, ${lost} lost.`;
  const table = [
    '| scenario | broker | sent | acked | handled | dead-lettered | lost | dup | recovery |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (entry) =>
        `| ${entry.scenario} | ${entry.broker} | ${entry.sent} | ${entry.acknowledged} | ${entry.handled} | ${entry.deadLettered} | ${entry.lost} | ${entry.duplicated} | ${duration(entry.recoveryMs)} |`,
    ),
  ];
  return `${heading}\n\n${table.join('\n')}`;
}

/**
 * Replaces the section between the markers of docs/faults.md; false when the markers are missing.
 *
 * @example
 * if (await updateFaultsDoc(report)) console.log('updated docs/faults.md');
 */
export async function updateFaultsDoc(report: Report, path: URL = docPath): Promise<boolean> {
  const text = await readFile(path, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return false;
  await writeFile(path, `${text.slice(0, from + start.length)}\n${markdownSection(report)}\n${text.slice(to)}`);
  return true;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
  const updated = await updateFaultsDoc(report);
  console.log(updated ? 'docs/faults.md: table rewritten from faults/report.json' : 'docs/faults.md: markers not found');
  process.exitCode = updated ? 0 : 1;
}
