import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { clearSlot, takeSlot } from '../slot.js';
import { spawnLines } from '../worker.js';

/** Whether `pid` is a live process (a zombie, killed but not yet reaped, counts as gone). */
function running(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    if (existsSync('/proc')) return false;
    try {
      process.kill(pid, 0); // no /proc (macOS): a zombie counts as live there
      return true;
    } catch {
      return false;
    }
  }
  return stat[stat.lastIndexOf(')') + 2] !== 'Z';
}

/** Polls `check` until true; fails naming `what` after `ms`. A process's death sends no event. */
async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${ms} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** Starts tools/faults/fixtures/slot-holder.ts and returns its slot directory and Redis pid once ready. */
async function holdSlot(mode: 'hold' | 'exit'): Promise<{ readonly dir: string; readonly redis: number; readonly holder: ReturnType<typeof spawnLines> }> {
  const holder = spawnLines(`slot-holder ${mode}`, ['tools/faults/fixtures/slot-holder.ts', mode], {});
  const [, dir = '', pid = ''] = (await holder.waitForLine(/^ready /, 45_000)).text.split(' ');
  return { dir, redis: Number(pid), holder };
}

// The slot registry's promise: the servers of a run never outlive it for long, whether it exits
// without stopping them or is killed outright (then the next run clears its slot).
describe('fault runner slots', function () {
  this.timeout(90_000);

  it('a run that exits without stopping its instances kills them and removes its slot', async () => {
    const { dir, redis, holder } = await holdSlot('exit');
    assert.equal((await holder.exited).code, 0);
    await until(() => !running(redis), 10_000, `the Redis (pid ${redis}) of the exited run to be gone`);
    assert.equal(existsSync(dir), false, `${dir} is left behind`);
  });

  it('the Redis of a run killed outright outlives it until the next run takes a slot, which kills it and removes the slot', async () => {
    const { dir, redis, holder } = await holdSlot('hold');
    holder.child.kill('SIGKILL');
    await holder.exited;
    assert.ok(running(redis), 'a SIGKILLed run had no chance to stop its Redis');
    assert.ok(existsSync(dir));
    const next = await takeSlot();
    try {
      assert.notEqual(next.dir, dir);
      await until(() => !running(redis), 10_000, `the abandoned Redis (pid ${redis}) to be gone`);
      assert.equal(existsSync(dir), false, `${dir} is left behind`);
    } finally {
      clearSlot(next.dir);
    }
  });
});
