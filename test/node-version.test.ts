import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * .ci/run runs this suite once per Node line with that line first on PATH, and sets
 * EVENTWIRE_EXPECT_NODE_MAJOR to it. The CLI, example and fault tests start children with
 * `process.execPath` and through `npm` (which runs on the `node` of PATH): each must be that line,
 * or a green run would prove nothing about it. Without the variable (a local run, where PATH is
 * the user's business) only `process.execPath` children are checked.
 */
const run = promisify(execFile);
const expected = process.env.EVENTWIRE_EXPECT_NODE_MAJOR;
const major = (version: string): string => version.trim().replace(/^v/, '').split('.')[0] ?? '';
const printVersion = ['-p', 'process.version'];

describe(`Node ${process.version} (${process.execPath})`, () => {
  it('is the Node of children started with process.execPath', async () => {
    const { stdout } = await run(process.execPath, printVersion);
    assert.equal(stdout.trim(), process.version);
  });

  if (expected === undefined) return;

  it(`is Node ${expected}, the line the CI run asked for`, () => {
    assert.equal(major(process.version), expected);
  });

  it('is the first node on PATH, so npm and what npm starts run on it too', async () => {
    const { stdout: fromPath } = await run('node', printVersion);
    assert.equal(fromPath.trim(), process.version);
    const { stdout: viaNpm } = await run('npm', ['exec', '--script-shell=bash', '-c', 'node -p process.version; "$npm_node_execpath" -p process.version']);
    assert.deepEqual(viaNpm.trim().split('\n'), [process.version, process.version]);
  });
});
