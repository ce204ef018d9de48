import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Report, ReportEntry } from './report.js';

/**
 * Keeps the results table of docs/faults.md and the recovery line of docs/delivery-guarantees.md
 * true: a complete full run of `npm run faults` rewrites the parts between the markers, and
 * `npx tsx faults/docs.ts` re-renders them from faults/report.json.
 */

const docPath = new URL('../docs/faults.md', import.meta.url);
const guaranteesPath = new URL('../docs/delivery-guarantees.md', import.meta.url);
const reportPath = new URL('./report.json', import.meta.url);
const start = '<!-- faults:start -->';
const end = '<!-- faults:end -->';

/** The order the scenarios are numbered in docs/faults.md; any other comes after them. */
const scenarioOrder = ['broker-restart', 'broker-restart-slow', 'connection-cut', 'worker-killed', 'sigterm-drain', 'poison', 'malformed', 'oversize', 'buffer-while-down', 'slow-handler'];
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
  const heading = `Latest ${report.quick ? 'quick' : 'full'} run: ${when} UTC, commit ${report.commit ?? 'not recorded'}, Node ${report.node.replace(/^v/, '')}; ${rows.length} combinations, ${ok === rows.length ? 'every one ok' : `${ok} ok`}, ${lost} lost.`;
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
 * The recovery after a broker restart measured on each broker (scenarios 1 and 1b), one line, for
 * docs/delivery-guarantees.md.
 *
 * @example
 * const line = recoveryLine(report);
 */
export function recoveryLine(report: Report): string {
  const restarts = report.results.filter((entry) => entry.scenario.startsWith('broker-restart'));
  const byBroker = brokerOrder
    .map((broker) => {
      const mine = restarts.filter((entry) => entry.broker === broker);
      if (mine.length === 0) return undefined;
      const worst = mine.some((entry) => entry.recoveryMs === null) ? null : Math.max(...mine.map((entry) => entry.recoveryMs ?? 0));
      return `${broker} ${worst === null ? 'did not recover' : duration(worst)}`;
    })
    .filter((part) => part !== undefined);
  const when = report.startedAt.slice(0, 10);
  return `Measured (the slower of scenarios 1 and 1b, from the port open again to the later of the next acknowledged send and the next fresh message handled; ${report.quick ? 'quick' : 'full'} fault run of ${when}, commit ${report.commit ?? 'not recorded'}): ${byBroker.join(', ')}.`;
}

/**
 * Replaces the section between `start` and `end` of the file at `path` with `section`; false when
 * the markers are missing.
 */
async function replaceSection(path: URL, markers: readonly [string, string], section: string): Promise<boolean> {
  const text = await readFile(path, 'utf8');
  const from = text.indexOf(markers[0]);
  const to = text.indexOf(markers[1]);
  if (from < 0 || to < from) return false;
  await writeFile(path, `${text.slice(0, from + markers[0].length)}\n${section}\n${text.slice(to)}`);
  return true;
}

/**
 * Replaces the section between the markers of docs/faults.md; false when the markers are missing.
 *
 * @example
 * if (await updateFaultsDoc(report)) console.log('updated docs/faults.md');
 */
export function updateFaultsDoc(report: Report, path: URL = docPath): Promise<boolean> {
  return replaceSection(path, [start, end], markdownSection(report));
}

/**
 * Replaces the recovery line between the markers of docs/delivery-guarantees.md.
 *
 * @example
 * await updateRecoveryDoc(report);
 */
export function updateRecoveryDoc(report: Report, path: URL = guaranteesPath): Promise<boolean> {
  return replaceSection(path, ['<!-- recovery:start -->', '<!-- recovery:end -->'], recoveryLine(report));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
  const updated = (await updateFaultsDoc(report)) && (await updateRecoveryDoc(report));
  console.log(updated ? 'docs/faults.md and docs/delivery-guarantees.md: rewritten from faults/report.json' : 'markers not found in docs/faults.md or docs/delivery-guarantees.md');
  process.exitCode = updated ? 0 : 1;
}
