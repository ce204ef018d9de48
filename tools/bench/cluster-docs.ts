import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { clusterResultsPath } from './cluster.js';
import { finished, replaceSections, type RunSummary } from './docs.js';
import { markdownTable } from './report.js';

/**
 * Keeps the cluster figures of docs/clusters.md true: a `--cluster` run over every cluster and
 * scenario rewrites the section between its markers, and `npx tsx tools/bench/cluster-docs.ts`
 * re-renders it from tools/bench/cluster-results.json.
 */

const docPath = new URL('../../docs/clusters.md', import.meta.url);
/** The generated section of docs/clusters.md. */
export const clusterBenchSection = 'cluster-bench';

/** A cluster run's results file: the bench's, with the load average at its end. */
export interface ClusterRunSummary extends RunSummary {
  readonly loadAverageAtEnd?: readonly number[];
}

const brokerNames = [
  ['redis', 'Redis'],
  ['rabbitmq', 'RabbitMQ'],
  ['kafka', 'Kafka'],
] as const;

/** The line above the table: when, on which commit, how, on which broker versions and machine. */
export function clusterHeading(run: ClusterRunSummary): string {
  const { machine } = run;
  const versions = brokerNames.flatMap(([id, name]) => (machine.brokers[id] === undefined ? [] : [`${name} ${machine.brokers[id]}`]));
  const end = run.loadAverageAtEnd === undefined ? '' : `, ${run.loadAverageAtEnd.join(' ')} at end`;
  return `Latest cluster run: ${finished(run)} UTC, commit ${run.commit ?? 'not recorded'}, ${run.mode} mode, median of ${run.reps}, eventwire from its ${run.build}; ${versions.join(', ')}; ${machine.cpu} × ${machine.cores}, ${machine.memoryGb} GB, Node ${machine.node}, load ${machine.loadAverage.join(' ')} at start${end}.`;
}

/** The section as the run renders it: its heading, then the table with the remarks under it. */
export const renderClusterSection = (run: ClusterRunSummary): string => `${clusterHeading(run)}\n\n${markdownTable(run.rows)}`;

/**
 * Replaces the generated section of docs/clusters.md with the run's; false, and nothing written,
 * when its markers are missing.
 *
 * @example
 * if (updateClusterDoc(run)) console.log('docs/clusters.md rewritten');
 */
export const updateClusterDoc = (run: ClusterRunSummary, path: URL = docPath): boolean => replaceSections(path, { [clusterBenchSection]: renderClusterSection(run) });

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const run = JSON.parse(readFileSync(clusterResultsPath, 'utf8')) as ClusterRunSummary;
  const updated = updateClusterDoc(run);
  console.log(updated ? 'docs/clusters.md: the cluster bench section rewritten from tools/bench/cluster-results.json' : 'docs/clusters.md: markers not found');
  process.exitCode = updated ? 0 : 1;
}
