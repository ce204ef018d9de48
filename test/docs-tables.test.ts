import { strict as assert } from 'node:assert';
import { copyFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { updateResultsDoc, type RunSummary } from '../bench/docs.js';
import { markdownSection, recoveryLine, updateFaultsDoc, updateRecoveryDoc } from '../faults/docs.js';
import type { Report } from '../faults/report.js';

// docs/faults.md and docs/benchmarks.md hold tables that `npm run faults` and `npm run bench`
// write between markers. These render the stored results into copies of the two documents, so a
// document that lost its markers, or a renderer that broke, fails here rather than after a 40-minute
// run; and a committed document whose table is not its results file's fails too.
const root = new URL('..', import.meta.url).pathname;
const scratch = join(root, '.cache', 'docs-tables');

describe('generated tables in docs/', () => {
  before(() => mkdir(scratch, { recursive: true }));

  it('faults: the table of faults/report.json goes between the markers of docs/faults.md', async () => {
    const report = JSON.parse(await readFile(join(root, 'faults', 'report.json'), 'utf8')) as Report;
    const copy = join(scratch, 'faults.md');
    await copyFile(join(root, 'docs', 'faults.md'), copy);
    assert.equal(await updateFaultsDoc(report, new URL(`file://${copy}`)), true);
    const text = await readFile(copy, 'utf8');
    assert.ok(text.includes(`<!-- faults:start -->\n${markdownSection(report)}\n<!-- faults:end -->`));
    assert.equal(text.match(/^\| [a-z-]+ \| (memory|redis|rabbitmq|kafka) \|/gm)?.length, report.results.length);
    const committed = await readFile(join(root, 'docs', 'faults.md'), 'utf8');
    assert.equal(committed, text, 'docs/faults.md disagrees with faults/report.json: run npx tsx faults/docs.ts');
  });

  it('faults: the recovery line of docs/delivery-guarantees.md is the one faults/report.json gives', async () => {
    const report = JSON.parse(await readFile(join(root, 'faults', 'report.json'), 'utf8')) as Report;
    const copy = join(scratch, 'delivery-guarantees.md');
    await copyFile(join(root, 'docs', 'delivery-guarantees.md'), copy);
    assert.equal(await updateRecoveryDoc(report, new URL(`file://${copy}`)), true);
    const text = await readFile(copy, 'utf8');
    assert.ok(text.includes(`<!-- recovery:start -->\n${recoveryLine(report)}\n<!-- recovery:end -->`));
    assert.match(recoveryLine(report), /kafka (\d|did not recover)/);
    const committed = await readFile(join(root, 'docs', 'delivery-guarantees.md'), 'utf8');
    assert.equal(committed, text, 'docs/delivery-guarantees.md disagrees with faults/report.json: run npx tsx faults/docs.ts');
  });

  it('benchmarks: the table of bench/results.json goes between the markers of docs/benchmarks.md', async () => {
    const run = JSON.parse(await readFile(join(root, 'bench', 'results.json'), 'utf8')) as RunSummary;
    const copy = join(scratch, 'benchmarks.md');
    await copyFile(join(root, 'docs', 'benchmarks.md'), copy);
    assert.equal(updateResultsDoc(run, new URL(`file://${copy}`)), true);
    const text = await readFile(copy, 'utf8');
    const section = text.slice(text.indexOf('<!-- results:start -->'), text.indexOf('<!-- results:end -->'));
    assert.match(section, /^Latest run: .* UTC, /m);
    assert.equal(section.match(/^\| (send|fire|consume|http)[a-z0-9-]* \|/gm)?.length, run.rows.length);
    const committed = await readFile(join(root, 'docs', 'benchmarks.md'), 'utf8');
    assert.equal(committed, text, 'docs/benchmarks.md disagrees with bench/results.json: run npx tsx bench/docs.ts');
  });
});
