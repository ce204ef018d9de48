import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchSections, renderSections, resultsHeading, resultsPath, updateResultsDoc, type RunSummary } from '../tools/bench/docs.js';
import { clusterResultsPath } from '../tools/bench/cluster.js';
import { clusterBenchSection, renderClusterSection, updateClusterDoc, type ClusterRunSummary } from '../tools/bench/cluster-docs.js';
import { markdownSection, recoveryLine, redeliveryLine, reportPath, updateFaultsDoc, updateRecoveryDoc } from '../tools/faults/docs.js';
import type { Report } from '../tools/faults/report.js';
import { outboxResultsPath, outboxSection, renderOutboxSection, updateOutboxDoc } from '../tools/bench/outbox/docs.js';
import type { OutboxResults } from '../tools/bench/outbox/types.js';
import { currentCommit } from '../scripts/git-commit.js';
import { namedCommit, wellFormed } from './support/generated-sections.js';
import { fixtureClusterRun, fixtureEnvelopeResults, fixtureOutboxResults, fixtureReport, fixtureRun } from './support/results-fixtures.js';
import { envelopeResultsPath, envelopeSection, renderEnvelopeSection, updateEnvelopeDoc, verdict, type EnvelopeResults } from '../tools/bench/envelope-docs.js';

// The figures of README.md and docs/ are written by the scripts that measured them, between
// markers, from results files that name the commit measured. The results files are outputs of a
// run and stay out of git, so a fresh clone checks the committed sections by their form (each names
// its commit), and a checkout that has a results file also checks that the renderer reproduces,
// from it, the sections of the run it holds. A figure typed by hand outside the sections fails.
const root = fileURLToPath(new URL('..', import.meta.url));
const scratch = join(root, '.cache', 'docs-tables');

/** Every generated section, by document; a marker not listed here has no test and fails. */
const generated: Readonly<Record<string, readonly string[]>> = {
  'docs/faults.md': ['faults'],
  'docs/delivery-guarantees.md': ['redelivery', 'recovery'],
  'docs/benchmarks.md': [...benchSections, envelopeSection],
  'docs/outbox.md': [outboxSection],
  'docs/clusters.md': [clusterBenchSection],
};

/** The results file at `path`, undefined when this checkout has none (a fresh clone). */
async function localResults<T>(path: URL): Promise<T | undefined> {
  return existsSync(path) ? (JSON.parse(await readFile(path, 'utf8')) as T) : undefined;
}

/** The text between a section's markers, undefined when they are missing. */
function section(text: string, name: string): string | undefined {
  const start = `<!-- ${name}:start -->\n`;
  const from = text.indexOf(start);
  const to = text.indexOf(`\n<!-- ${name}:end -->`);
  return from < 0 || to < from ? undefined : text.slice(from + start.length, to);
}

/** Renders into a scratch copy of `doc` with `update`, then returns the copy's text. */
async function renderCopy(doc: string, update: (path: URL) => boolean | Promise<boolean>): Promise<string> {
  const copy = join(scratch, doc.replaceAll('/', '-'));
  await copyFile(join(root, doc), copy);
  assert.equal(await update(new URL(`file://${copy}`)), true, `${doc}: markers missing`);
  return readFile(copy, 'utf8');
}

/**
 * With a local results file: each section of `doc` that names the same run (date and commit) as
 * what the renderer makes from it must be exactly that. Returns how many sections were compared.
 */
async function compareWithLocal(doc: string, names: readonly string[], rendered: string, results: URL, renderer = 'docs.ts'): Promise<number> {
  const committed = await readFile(join(root, doc), 'utf8');
  let compared = 0;
  for (const name of names) {
    const mine = section(committed, name) ?? '';
    const fromLocal = section(rendered, name) ?? '';
    if (namedCommit(name, mine)?.run !== namedCommit(name, fromLocal)?.run) continue;
    assert.equal(mine, fromLocal, `${doc} section ${name} disagrees with ${fileURLToPath(results)}, the run it names: re-render it with npx tsx ${fileURLToPath(new URL(renderer, results)).slice(root.length)}`);
    compared += 1;
  }
  return compared;
}

describe('generated sections in README.md and docs/', () => {
  before(() => mkdir(scratch, { recursive: true }));

  it('every committed generated section is well-formed and names the commit it measured', async () => {
    for (const [doc, names] of Object.entries(generated)) {
      const text = await readFile(join(root, doc), 'utf8');
      for (const name of names) {
        const body = section(text, name);
        assert.ok(body !== undefined, `${doc}: the markers of section ${name} are missing`);
        const problem = wellFormed(name, body);
        assert.equal(problem, undefined, `${doc} section ${name}: ${problem}`);
      }
    }
  });

  it('faults: the renderer writes well-formed sections from a results file, and reproduces those of the run a local tools/faults/report.json holds', async () => {
    const local = await localResults<Report>(reportPath);
    // A fresh clone has no results file: the renderer is then checked on a made-up one.
    const report = local ?? fixtureReport;
    const faults = await renderCopy('docs/faults.md', (path) => updateFaultsDoc(report, path));
    const guarantees = await renderCopy('docs/delivery-guarantees.md', (path) => updateRecoveryDoc(report, path));
    assert.equal(section(faults, 'faults'), markdownSection(report));
    assert.equal(section(guarantees, 'recovery'), recoveryLine(report));
    assert.equal(section(guarantees, 'redelivery'), redeliveryLine(report));
    for (const name of ['faults', 'recovery', 'redelivery']) {
      const text = name === 'faults' ? faults : guarantees;
      assert.equal(wellFormed(name, section(text, name) ?? ''), undefined, `the ${name} section`);
      assert.equal(namedCommit(name, section(text, name) ?? '')?.commit, report.commit ?? 'not recorded', `the ${name} section names the report's commit`);
    }
    assert.match(recoveryLine(report), /kafka (\d|did not recover)/);
    for (const entry of report.results.filter((result) => result.scenario === 'worker-killed')) {
      assert.ok(redeliveryLine(report).includes(`${entry.broker} `), `no ${entry.broker} in the redelivery line`);
    }
    if (local === undefined) return;
    const compared = (await compareWithLocal('docs/faults.md', ['faults'], faults, reportPath)) + (await compareWithLocal('docs/delivery-guarantees.md', ['redelivery', 'recovery'], guarantees, reportPath));
    console.log(`      ${compared} of 3 sections name the run of the local report and match it`);
  });

  it('benchmarks: the renderer writes well-formed sections from a results file, and reproduces those of the run a local tools/bench/results.json holds', async () => {
    const local = await localResults<RunSummary>(resultsPath);
    // A fresh clone has no results file: the renderer is then checked on a made-up one.
    const run = local ?? fixtureRun;
    const text = await renderCopy('docs/benchmarks.md', (path) => updateResultsDoc(run, path));
    const sections = renderSections(run);
    for (const name of benchSections) {
      assert.equal(section(text, name), sections[name], `the ${name} section`);
      assert.equal(wellFormed(name, sections[name]), undefined, `the ${name} section`);
      assert.equal(namedCommit(name, sections[name])?.commit, run.commit ?? 'not recorded', `the ${name} section names the run's commit`);
    }
    assert.equal(sections.results.match(/^\| (send|fire|consume|http|cloudevents|otel)[a-z0-9-]* \|/gm)?.length, run.rows.length);
    if (local === undefined) return;
    const compared = await compareWithLocal('docs/benchmarks.md', benchSections, text, resultsPath);
    console.log(`      ${compared} of ${benchSections.length} sections name the run of the local results and match them`);
  });

  it('outbox bench: the renderer writes a well-formed section from a results file, and reproduces the one of the run a local tools/bench/outbox/results.json holds', async () => {
    const local = await localResults<OutboxResults>(outboxResultsPath);
    // A fresh clone has no results file: the renderer is then checked on a made-up one.
    const run = local ?? fixtureOutboxResults;
    const text = await renderCopy('docs/outbox.md', (path) => updateOutboxDoc(run, path));
    const rendered = renderOutboxSection(run);
    assert.equal(section(text, outboxSection), rendered);
    assert.equal(wellFormed(outboxSection, rendered), undefined);
    assert.equal(namedCommit(outboxSection, rendered)?.commit, run.commit);
    const rows = rendered.match(/^\| (staging|relay|latency|inbox)[^|]* \|/gm) ?? [];
    assert.equal(rows.length, 3 + run.throughput.length + run.latency.length + run.inbox.length, 'three staging rows (stage, stageWith, stageWith prepared), one per other result');
    for (const result of run.throughput.filter((candidate) => (candidate.batchesInFlight ?? 1) > 1)) {
      assert.ok(rendered.includes(`| relay, batch ${result.batchSize}, ${result.batchesInFlight} in flight, `), 'a relay with several batches in flight says so');
    }
    for (const failed of [...run.throughput, ...run.latency, ...run.inbox].filter((result) => result.error !== undefined)) {
      assert.ok(rendered.includes(failed.error ?? ''), `the error of ${failed.broker} is listed under the table`);
    }
    assert.equal(rendered.includes('A smoke run'), run.mode === 'smoke', 'a smoke run says so in its heading, a full run does not');
    if (local === undefined) return;
    const compared = await compareWithLocal('docs/outbox.md', [outboxSection], text, outboxResultsPath);
    console.log(`      ${compared} of 1 section names the run of the local results and matches it`);
  });

  it('CloudEvents probe: the renderer writes a well-formed section from a results file, and reproduces the one of the run a local tools/bench/envelope-results.json holds', async () => {
    const local = await localResults<EnvelopeResults>(envelopeResultsPath);
    // A fresh clone has no results file: the renderer is then checked on a made-up one.
    const run = local ?? fixtureEnvelopeResults;
    const text = await renderCopy('docs/benchmarks.md', (path) => updateEnvelopeDoc(run, path));
    const rendered = renderEnvelopeSection(run);
    assert.equal(section(text, envelopeSection), rendered);
    assert.equal(wellFormed(envelopeSection, rendered), undefined);
    assert.equal(namedCommit(envelopeSection, rendered)?.commit, run.commit);
    const rows = rendered.match(/^\| cloudevents-(?:send|consume) \|.*$/gm) ?? [];
    assert.equal(rows.length, run.rows.length, 'one row per broker and scenario');
    run.rows.forEach((row, index) => assert.ok(rows[index]?.endsWith(`| ${verdict(row)} |`), `row ${index} ends with its verdict`));
    for (const failed of run.rows.filter((row) => row.error !== undefined)) assert.ok(rendered.includes(failed.error ?? ''), `the error of ${failed.broker} is listed under the table`);
    if (local === undefined) {
      assert.deepEqual(run.rows.map(verdict), ['pass', 'FAIL', 'error'], 'a pass needs both medians within 5 %; no figures is an error');
      return;
    }
    const compared = await compareWithLocal('docs/benchmarks.md', [envelopeSection], text, envelopeResultsPath, 'envelope-docs.ts');
    console.log(`      ${compared} of 1 section names the run of the local results and matches it`);
  });

  it('cluster bench: the renderer writes a well-formed section from a results file, and reproduces the one of the run a local tools/bench/cluster-results.json holds', async () => {
    const local = await localResults<ClusterRunSummary>(clusterResultsPath);
    // A fresh clone has no results file: the renderer is then checked on a made-up one.
    const run = local ?? fixtureClusterRun;
    const text = await renderCopy('docs/clusters.md', (path) => updateClusterDoc(run, path));
    const rendered = renderClusterSection(run);
    assert.equal(section(text, clusterBenchSection), rendered);
    assert.equal(wellFormed(clusterBenchSection, rendered), undefined);
    assert.equal(namedCommit(clusterBenchSection, rendered)?.commit, run.commit ?? 'not recorded');
    assert.equal(rendered.match(/^\| (send|fire|consume)[a-z0-9-]* \|/gm)?.length, run.rows.length);
    for (const [, version] of Object.entries(run.machine.brokers)) assert.ok(rendered.split('\n')[0]?.includes(` ${version}`), `the heading names broker version ${version}`);
    for (const failed of run.rows.filter((row) => row.remark !== '')) assert.ok(rendered.includes(failed.remark), 'a remark is listed under the table');
    if (local === undefined) return;
    const compared = await compareWithLocal('docs/clusters.md', [clusterBenchSection], text, clusterResultsPath, 'cluster-docs.ts');
    console.log(`      ${compared} of 1 section names the run of the local results and matches it`);
  });

  it('benchmarks: the heading names the commit measured, or says it was not recorded', () => {
    assert.match(resultsHeading({ ...fixtureRun, commit: '0123456789ab-dirty' }), /, commit 0123456789ab-dirty, /);
    const { finishedAt, mode, reps, build, machine, rows } = fixtureRun;
    const without: RunSummary = { finishedAt, mode, reps, build, machine, rows };
    assert.match(resultsHeading(without), /, commit not recorded, /);
    assert.match(renderSections(without).summary, /commit not recorded/);
    assert.match(currentCommit(), /^([0-9a-f]{12}(-dirty)?|unknown)$/);
  });

  it('benchmarks: a CPU row says what it is per (message or request), and the summary shows the CPU ratios with their targets', () => {
    const { results, summary } = renderSections(fixtureRun);
    const line = (scenario: string): string => results.split('\n').find((candidate) => candidate.startsWith(`| ${scenario} |`) && candidate.includes('µs CPU')) ?? '';
    assert.match(line('cloudevents-consume'), /\| 20\.8 µs CPU\/msg \| 20\.0 µs CPU\/msg \| 1\.04× \| ≤ 1\.05× \| pass \|/);
    assert.match(line('otel-api-send'), /µs CPU\/msg .* \| ≤ 1\.02× \| FAIL \|/);
    assert.match(line('otel-api-http'), /µs CPU\/req .* \| ≤ 1\.02× \| pass \|/);
    assert.match(line('http-express'), /µs CPU\/req/, 'a row written before rows said what CPU is per is an HTTP one: per request');
    assert.match(summary, /^\| CPU per message, CloudEvents binary vs eventwire's envelope, [^|]+ \(target ≤ 1\.05×\) \| — \/ — \| — \/ — \| — \/ 1\.04 \| — \/ — \|$/m);
    assert.match(summary, /^\| CPU per message \(HTTP: per request\), `@opentelemetry\/api` [^|]+ \(target ≤ 1\.02×\) \| 1\.03 \/ — \/ 1\.01 \| — \/ — \/ — \| — \/ — \/ — \| — \/ — \/ — \|$/m);
  });

  it('benchmarks: the standing against each peer calls a ratio within the tie margin a tie', async () => {
    for (const run of [fixtureRun, ...[await localResults<RunSummary>(resultsPath)].filter((found) => found !== undefined)]) {
      const { summary } = renderSections(run);
      for (const row of run.rows.filter((candidate) => candidate.metric === 'rate' && candidate.ratio !== undefined && candidate.against.match(/NestJS|Moleculer/))) {
        const ratio = row.ratio ?? 0;
        const verdict = Math.abs(ratio - 1) <= 0.1 ? 'tied on' : ratio > 1 ? 'ahead on' : 'behind on';
        const line = summary.split('\n').find((candidate) => candidate.startsWith(`- **${row.against}**`)) ?? '';
        const list = line.slice(line.indexOf(verdict)).split(';')[0] ?? '';
        assert.ok(list.includes(`${row.broker} ${row.scenario} ${ratio.toFixed(2)}`), `${row.broker} ${row.scenario} vs ${row.against} (${ratio.toFixed(2)}) is not under "${verdict}"`);
      }
    }
  });

  it('a section dated after commits were recorded must name one; "not recorded" passes only for older runs', () => {
    const heading = (when: string, commit: string): string => `Latest full run: ${when} UTC, commit ${commit}, Node 22.0.0; 0 combinations, every one ok, 0 lost.\n\n| scenario | broker | sent | acked | handled | dead-lettered | lost | dup | recovery |\n|---|---|---:|---:|---:|---:|---:|---:|---:|`;
    assert.equal(wellFormed('faults', heading('2026-12-07 10:00', '0123456789ab')), undefined);
    assert.match(wellFormed('faults', heading('2026-12-07 10:00', 'not recorded')) ?? '', /names no commit/);
    assert.equal(wellFormed('faults', heading('2026-11-27 10:00', 'not recorded')), undefined);
    assert.match(wellFormed('faults', 'Latest full run: sometime') ?? '', /heading/);
  });

  it('every marked section has its test, and no figure is typed by hand outside one', async () => {
    const docs = ['README.md', ...(await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
    // A measured figure: a ratio (`0.96×`, not `2 × 500 ms`), a rate, a CPU time, or a number after "measured".
    const figure = /\d[\d,.]*(×|\s?(msg\/s|req\/s|µs))|measured (about )?\d/;
    for (const doc of docs) {
      let text = await readFile(join(root, doc), 'utf8');
      const names = [...text.matchAll(/<!-- ([a-z-]+):start -->/g)].map((match) => match[1]);
      assert.deepEqual(names.sort(), [...(generated[doc] ?? [])].sort(), `${doc}: generated sections without a test, or a test without its section`);
      for (const name of names) text = text.replace(`<!-- ${name}:start -->\n${section(text, name ?? '') ?? ''}\n<!-- ${name}:end -->`, '');
      const typed = text.split('\n').filter((line) => figure.test(line));
      assert.deepEqual(typed, [], `${doc}: figures outside the generated sections`);
    }
  });
});
