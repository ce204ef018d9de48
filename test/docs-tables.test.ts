import { strict as assert } from 'node:assert';
import { copyFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { benchSections, renderSections, resultsHeading, updateResultsDoc, type RunSummary } from '../bench/docs.js';
import { markdownSection, recoveryLine, redeliveryLine, updateFaultsDoc, updateRecoveryDoc } from '../faults/docs.js';
import type { Report } from '../faults/report.js';
import { currentCommit } from '../scripts/git-commit.js';

// The figures of README.md and docs/ are written by the scripts that measured them, between
// markers, from results files that name the commit measured. These render the stored results into
// copies of the documents, so a document that lost its markers, or a renderer that broke, fails
// here rather than after a 40-minute run; a committed document whose generated sections are not
// what its results file renders fails too, and so does a figure typed by hand outside them.
const root = new URL('..', import.meta.url).pathname;
const scratch = join(root, '.cache', 'docs-tables');

/** Every generated section, by document; a marker not listed here has no test and fails. */
const generated: Readonly<Record<string, readonly string[]>> = {
  'docs/faults.md': ['faults'],
  'docs/delivery-guarantees.md': ['redelivery', 'recovery'],
  'docs/benchmarks.md': [...benchSections],
};

const readJson = async <T>(...path: string[]): Promise<T> => JSON.parse(await readFile(join(root, ...path), 'utf8')) as T;

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

describe('generated sections in README.md and docs/', () => {
  before(() => mkdir(scratch, { recursive: true }));

  it('faults: the table of faults/report.json goes between the markers of docs/faults.md', async () => {
    const report = await readJson<Report>('faults', 'report.json');
    const text = await renderCopy('docs/faults.md', (path) => updateFaultsDoc(report, path));
    assert.equal(section(text, 'faults'), markdownSection(report));
    assert.equal(text.match(/^\| [a-z-]+ \| (memory|redis|rabbitmq|kafka) \|/gm)?.length, report.results.length);
    assert.match(markdownSection(report), new RegExp(`commit ${report.commit ?? 'not recorded'}`));
    const committed = await readFile(join(root, 'docs', 'faults.md'), 'utf8');
    assert.equal(committed, text, 'docs/faults.md disagrees with faults/report.json: run npx tsx faults/docs.ts');
  });

  it('faults: the redelivery and recovery lines of docs/delivery-guarantees.md are the ones faults/report.json gives', async () => {
    const report = await readJson<Report>('faults', 'report.json');
    const text = await renderCopy('docs/delivery-guarantees.md', (path) => updateRecoveryDoc(report, path));
    assert.equal(section(text, 'recovery'), recoveryLine(report));
    assert.equal(section(text, 'redelivery'), redeliveryLine(report));
    assert.match(recoveryLine(report), /kafka (\d|did not recover)/);
    for (const entry of report.results.filter((result) => result.scenario === 'worker-killed')) {
      assert.ok(redeliveryLine(report).includes(`${entry.broker} `), `no ${entry.broker} in the redelivery line`);
    }
    const committed = await readFile(join(root, 'docs', 'delivery-guarantees.md'), 'utf8');
    assert.equal(committed, text, 'docs/delivery-guarantees.md disagrees with faults/report.json: run npx tsx faults/docs.ts');
  });

  it('benchmarks: the summary and the table of bench/results.json go between the markers of docs/benchmarks.md', async () => {
    const run = await readJson<RunSummary>('bench', 'results.json');
    const text = await renderCopy('docs/benchmarks.md', (path) => updateResultsDoc(run, path));
    const sections = renderSections(run);
    for (const name of benchSections) assert.equal(section(text, name), sections[name], `the ${name} section`);
    assert.match(sections.results, /^Latest run: .* UTC, commit /m);
    assert.equal(sections.results.match(/^\| (send|fire|consume|http)[a-z0-9-]* \|/gm)?.length, run.rows.length);
    const committed = await readFile(join(root, 'docs', 'benchmarks.md'), 'utf8');
    assert.equal(committed, text, 'docs/benchmarks.md disagrees with bench/results.json: run npx tsx bench/docs.ts');
  });

  it('benchmarks: the heading names the commit measured, or says it was not recorded', async () => {
    const run = await readJson<RunSummary>('bench', 'results.json');
    assert.match(resultsHeading({ ...run, commit: '0123456789ab-dirty' }), /, commit 0123456789ab-dirty, /);
    const without: RunSummary = { finishedAt: run.finishedAt, mode: run.mode, reps: run.reps, build: run.build, machine: run.machine, rows: run.rows };
    assert.match(resultsHeading(without), /, commit not recorded, /);
    assert.match(renderSections(without).summary, /commit not recorded/);
    assert.match(currentCommit(), /^([0-9a-f]{12}(-dirty)?|unknown)$/);
  });

  it('benchmarks: the standing against each peer calls a ratio within the tie margin a tie', async () => {
    const run = await readJson<RunSummary>('bench', 'results.json');
    const { summary } = renderSections(run);
    for (const row of run.rows.filter((candidate) => candidate.metric === 'rate' && candidate.ratio !== undefined && candidate.against.match(/NestJS|Moleculer/))) {
      const ratio = row.ratio ?? 0;
      const verdict = Math.abs(ratio - 1) <= 0.1 ? 'tied on' : ratio > 1 ? 'ahead on' : 'behind on';
      const line = summary.split('\n').find((candidate) => candidate.startsWith(`- **${row.against}**`)) ?? '';
      const list = line.slice(line.indexOf(verdict)).split(';')[0] ?? '';
      assert.ok(list.includes(`${row.broker} ${row.scenario} ${ratio.toFixed(2)}`), `${row.broker} ${row.scenario} vs ${row.against} (${ratio.toFixed(2)}) is not under "${verdict}"`);
    }
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
