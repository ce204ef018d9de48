import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { withTimeout } from './support/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const mocha = fileURLToPath(new URL('../node_modules/mocha/bin/mocha.js', import.meta.url));
/** Mocha and tsx starting in a child process on a busy 2-core machine. */
const runMs = 60_000;

/** Runs one fixture spec under mocha with the open-handles root hook, as the suites do. */
async function runFixture(fixture: string, graceMs: number): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [mocha, '--no-config', '--import=tsx', '--require', 'test/support/open-handles.ts', `test/fixtures/open-handles/${fixture}`], {
    cwd: root,
    env: { ...process.env, EVENTWIRE_OPEN_HANDLE_GRACE_MS: String(graceMs) },
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  child.stdout.resume();
  try {
    const code = await withTimeout(
      new Promise<number | null>((resolve) => child.once('close', resolve)),
      runMs,
      `mocha on ${fixture} to exit`,
    );
    return { code, stderr };
  } finally {
    child.kill('SIGKILL'); // a no-op once it exited; ends it when the wait timed out
  }
}

describe('open handles after a test run', function () {
  this.timeout(runMs + 10_000);

  it('fail the run after the grace period, naming what was left open', async () => {
    const { code, stderr } = await runFixture('leaves-server-open.ts', 200);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /still kept alive by:/);
    assert.match(stderr, /TCPServerWrap ×1/);
    assert.match(stderr, /server listening on \{"address":"127\.0\.0\.1"/);
  });

  it('do not delay a run that closed everything: it exits 0 long before the grace period', async () => {
    // A grace period of an hour: a run that waited for it would time out here instead.
    const { code, stderr } = await runFixture('closes-everything.ts', 3_600_000);
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /open handles/);
  });
});
