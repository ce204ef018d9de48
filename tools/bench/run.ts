import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildEventwire } from './build.js';
import { currentCommit } from '../../scripts/git-commit.js';
import { cleanupCase, cleanupRun } from './cleanup.js';
import { parseCli, usage } from './cli.js';
import { clusterBrokers, clusterResultsPath, clusterStartHint, narrowedClusterResultsPath, pointAtClusters } from './cluster.js';
import { updateClusterDoc } from './cluster-docs.js';
import { sizesFor } from './config.js';
import { resultsPath, updateResultsDoc } from './docs.js';
import { describeMachine } from './machine.js';
import { ensureMoleculer } from './peers/moleculer-install.js';
import { planClusterScenarios, planScenarios } from './plan.js';
import { probeBrokers } from './probe.js';
import { formatValue, rowsOf, summarize, textTable, type CaseSummary, type Row } from './report.js';
import { runCase, runHttpCase } from './spawn.js';
import { workOf, type CaseResult, type CaseSpec, type Metric, type Scenario } from './types.js';

/**
 * `npm run bench`: every scenario of every broker, each case in its own process, eventwire and
 * its baselines alternating within each repetition (ABBA order) so that drift hits both alike.
 */

const cli = parseCli(process.argv.slice(2));
if (cli.help) {
  console.log(usage);
  process.exit(0);
}
// Before anything connects: every client of this process and of its children reads the variables.
if (cli.cluster) pointAtClusters();
const sizes = sizesFor(cli.mode);
const runId = `ewb-${Date.now().toString(36)}`;
const startedAt = new Date();
// Taken before the build, which is what every case measures.
const commit = currentCommit();
const scenarios = cli.cluster ? planClusterScenarios(cli.brokers, cli.only) : planScenarios(cli.brokers, cli.only, cli.peers);
const machine = await describeMachine(cli.brokers);
const build = cli.source ? 'TypeScript source (tsx)' : 'tsc build';
console.log(`eventwire bench${cli.cluster ? ' on the clusters' : ''}, ${cli.mode} mode, ${cli.reps} repetition(s), ${scenarios.length} scenarios, eventwire from its ${build}; ${machine.cpu} × ${machine.cores}, load ${machine.loadAverage.join(' ')}`);
// Every child inherits it: its imports of `eventwire` resolve to the build.
if (!cli.source) process.env.TSX_TSCONFIG_PATH = buildEventwire();

const unreachable = await probeBrokers(cli.brokers, cli.cluster ? clusterStartHint : undefined);
const needsMoleculer = scenarios.some((scenario) => Object.values(scenario.cases).some((spec) => spec.impl === 'moleculer'));
const moleculerProblem = needsMoleculer ? ensureMoleculer() : undefined;
const total = scenarios.reduce((sum, scenario) => sum + Object.keys(scenario.cases).length * cli.reps, 0);
let counter = 0;

/** A reason not to start the case at all, if any. */
function blocked(spec: CaseSpec): string | undefined {
  const down = unreachable.get(spec.broker);
  if (down !== undefined) return `${spec.broker} unreachable: ${down}`;
  if (spec.impl === 'moleculer') return moleculerProblem;
  return undefined;
}

function describe(spec: CaseSpec, result: CaseResult): string {
  if (result.error !== undefined) return `error: ${result.error}`;
  const figures = Object.entries(result.metrics).map(([metric, value]) => formatValue(value, metric as Metric, workOf(spec.kind)));
  const rss = result.maxRssKb === undefined ? '' : ` (peak RSS ${(result.maxRssKb / 1024).toFixed(0)} MB)`;
  return `${figures.join(', ')}${rss}`;
}

async function runScenario(scenario: Scenario): Promise<{ cases: Record<string, CaseSummary>; rows: Row[] }> {
  const keys = Object.keys(scenario.cases);
  const runs: Record<string, CaseResult[]> = Object.fromEntries(keys.map((key) => [key, []]));
  for (let rep = 0; rep < cli.reps; rep += 1) {
    for (const key of rep % 2 === 0 ? keys : [...keys].reverse()) {
      const spec = scenario.cases[key] as CaseSpec;
      counter += 1;
      const name = `${runId}-${String(counter).padStart(4, '0')}`;
      const earlier = runs[key]?.find((run) => run.error !== undefined && run.error.includes('not installed'));
      const reason = blocked(spec);
      let result: CaseResult;
      const began = performance.now();
      if (reason !== undefined) result = { metrics: {}, error: reason };
      else if (earlier !== undefined) result = earlier;
      else {
        result = spec.kind === 'http' ? await runHttpCase({ spec, sizes, name }) : await runCase({ spec, sizes, name });
        await cleanupCase(spec.broker, name);
      }
      runs[key]?.push(result);
      const seconds = ((performance.now() - began) / 1000).toFixed(1);
      console.log(`[${counter}/${total}] ${scenario.id} ${scenario.broker} ${key}: ${describe(spec, result)} [${seconds} s]`);
    }
  }
  const cases = Object.fromEntries(keys.map((key) => [key, summarize(scenario.cases[key] as CaseSpec, runs[key] ?? [])]));
  return { cases, rows: rowsOf(scenario, cases) };
}

const results: { id: string; broker: string; cases: Record<string, CaseSummary>; rows: Row[] }[] = [];
for (const scenario of scenarios) results.push({ id: scenario.id, broker: scenario.broker, ...(await runScenario(scenario)) });
await cleanupRun(cli.brokers.filter((broker) => !unreachable.has(broker)), runId);

const rows = results.flatMap((result) => result.rows);
const verdicts = { pass: 0, FAIL: 0, info: 0, error: 0 };
for (const row of rows) verdicts[row.verdict] += 1;
const finishedAt = new Date();
const endMachine = await describeMachine([]);
// Only a run over every broker and scenario replaces the results the docs are rendered from; a
// narrowed one goes to .cache, so that the docs and their results file stay one run.
const complete = cli.only.length === 0 && cli.brokers.length === (cli.cluster ? clusterBrokers.length : 4);
const narrowed = cli.cluster ? narrowedClusterResultsPath : new URL('../../.cache/bench/results.json', import.meta.url);
const written = complete ? (cli.cluster ? clusterResultsPath : resultsPath) : narrowed;
mkdirSync(new URL('.', written), { recursive: true });
writeFileSync(
  written,
  `${JSON.stringify({ runId, commit, cluster: cli.cluster, mode: cli.mode, build, reps: cli.reps, brokers: cli.brokers, only: cli.only, peers: cli.peers, startedAt, finishedAt, machine, loadAverageAtEnd: endMachine.loadAverage, sizes, verdicts, rows, scenarios: results }, null, 2)}\n`,
);
console.log(`\n${textTable(rows)}\n`);
console.log(`${verdicts.pass} pass, ${verdicts.FAIL} fail, ${verdicts.error} without a figure, ${verdicts.info} informational; ${((finishedAt.getTime() - startedAt.getTime()) / 1000).toFixed(0)} s. Written: ${fileURLToPath(written)}`);
if (complete && cli.cluster) {
  const updated = updateClusterDoc({ finishedAt, commit, mode: cli.mode, reps: cli.reps, build, machine, loadAverageAtEnd: endMachine.loadAverage, rows });
  console.log(updated ? 'Updated the cluster section of docs/clusters.md' : 'docs/clusters.md has no cluster-bench markers: not rewritten');
} else if (complete) {
  if (updateResultsDoc({ finishedAt, commit, mode: cli.mode, reps: cli.reps, build, machine, rows, scenarios: results })) console.log('Updated the summary and the table in docs/benchmarks.md');
}
process.exit(0);
