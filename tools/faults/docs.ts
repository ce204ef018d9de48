import { readFile, writeFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import type { Report, ReportEntry } from './report.js';

/**
 * Keeps the results table of docs/faults.md and the recovery and redelivery lines of
 * docs/delivery-guarantees.md true: a complete full run of `npm run faults` rewrites the parts
 * between the markers, and `npx tsx tools/faults/docs.ts` re-renders them from tools/faults/report.json.
 */

const docPath = new URL('../../docs/faults.md', import.meta.url);
const guaranteesPath = new URL('../../docs/delivery-guarantees.md', import.meta.url);
/** Where a complete full run writes its report (git-ignored: a run's output, not a source). */
export const reportPath = new URL('./report.json', import.meta.url);
const start = '<!-- faults:start -->';
const end = '<!-- faults:end -->';

/** The order the scenarios are numbered in docs/faults.md; any other comes after them. */
const scenarioOrder = ['broker-restart', 'broker-restart-slow', 'connection-cut', 'worker-killed', 'sigterm-drain', 'poison', 'malformed', 'oversize', 'buffer-while-down', 'slow-handler', 'outbox-app-killed', 'outbox-relay-killed', 'outbox-broker-down', 'outbox-inbox-duplicates', 'outbox-postgres-restart'];
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
 * const section = markdownSection(JSON.parse(await readFile('tools/faults/report.json', 'utf8')) as Report);
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
 * The recovery after a broker restart measured on each broker (the slower of scenarios 1 and 1b,
 * naming the one the report lacks), one line, for docs/delivery-guarantees.md.
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
  const has = (scenario: string): boolean => restarts.some((entry) => entry.scenario === scenario);
  const which = has('broker-restart-slow') ? (has('broker-restart') ? 'the slower of scenarios 1 and 1b' : 'scenario 1b (this report has no scenario 1)') : 'scenario 1 (this report has no 1b)';
  const when = report.startedAt.slice(0, 10);
  return `Measured (${which}, from the port open again to the later of the next acknowledged send and the next fresh message handled; ${report.quick ? 'quick' : 'full'} fault run of ${when}, commit ${report.commit ?? 'not recorded'}): ${byBroker.join(', ')}.`;
}

/**
 * The time from a worker's SIGKILL to another member starting the message it held (scenario 3),
 * per broker, with the liveness setting the scenario ran with, one line for
 * docs/delivery-guarantees.md.
 *
 * @example
 * const line = redeliveryLine(report);
 */
export function redeliveryLine(report: Report): string {
  const byBroker = brokerOrder
    .map((broker) => report.results.find((entry) => entry.scenario === 'worker-killed' && entry.broker === broker))
    .filter((entry) => entry !== undefined)
    .map((entry) => {
      // The scenario names the setting it shortened in its notes, e.g. "(Kafka sessionTimeoutMs 6000)".
      const setting = entry.notes.map((note) => /\((?:Kafka|Redis) (\w+ \d+)\)/.exec(note)?.[1]).find((found) => found !== undefined);
      return `${entry.broker} ${entry.recoveryMs === null ? 'not redelivered' : duration(entry.recoveryMs)}${setting === undefined ? '' : ` (${setting})`}`;
    });
  const when = report.startedAt.slice(0, 10);
  return `Measured (scenario 3, from the SIGKILL to another member starting the killed worker's message; ${report.quick ? 'quick' : 'full'} fault run of ${when}, commit ${report.commit ?? 'not recorded'}): ${byBroker.length === 0 ? 'no worker-killed result' : byBroker.join(', ')}.`;
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
 * Replaces the recovery and redelivery lines between their markers of docs/delivery-guarantees.md;
 * false when either's markers are missing.
 *
 * @example
 * await updateRecoveryDoc(report);
 */
export async function updateRecoveryDoc(report: Report, path: URL = guaranteesPath): Promise<boolean> {
  const recovery = await replaceSection(path, ['<!-- recovery:start -->', '<!-- recovery:end -->'], recoveryLine(report));
  return recovery && (await replaceSection(path, ['<!-- redelivery:start -->', '<!-- redelivery:end -->'], redeliveryLine(report)));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = JSON.parse(await readFile(reportPath, 'utf8')) as Report;
  const updated = (await updateFaultsDoc(report)) && (await updateRecoveryDoc(report));
  console.log(updated ? 'docs/faults.md and docs/delivery-guarantees.md: rewritten from tools/faults/report.json' : 'markers not found in docs/faults.md or docs/delivery-guarantees.md');
  process.exitCode = updated ? 0 : 1;
}
