import { strict as assert } from 'node:assert';
import { ClaimLoop, type ClaimClient, type ClaimHooks } from '../../adapters/redis/claim-loop.js';
import type { RawEntry } from '../../adapters/redis/codec.js';
import { deferred } from '../support/wait.js';

/** A client that records the commands and answers XAUTOCLAIM from a script of replies. */
function scripted(replies: [cursor: string, entries: RawEntry[]][] = []) {
  const calls: unknown[][] = [];
  const client: ClaimClient = {
    async xclaim(...args) {
      calls.push(['XCLAIM', ...args]);
      return [];
    },
    async callBuffer(...args) {
      calls.push(args);
      const [cursor, entries] = replies.shift() ?? ['0-0', []];
      return [Buffer.from(cursor), entries];
    },
  };
  return { client, calls };
}

const entry = (id: string): RawEntry => [Buffer.from(id), [Buffer.from('value'), Buffer.from('x')]];
const claimant = { group: 'g', consumer: 'me', topics: ['a', 'b'], claimIdleMs: 500 };

function hooks(overrides: Partial<ClaimHooks> = {}) {
  const ingested: { topic: string; ids: string[] }[] = [];
  const all: ClaimHooks = {
    held: () => [],
    room: () => 10,
    ingest: async (topic, entries) => void ingested.push({ topic, ids: entries.map(([id]) => id.toString()) }),
    failed: () => {},
    ...overrides,
  };
  return { hooks: all, ingested };
}

describe('Redis claim loop', () => {
  it('resets the idle time of the held entries with one XCLAIM … JUSTID per topic', async () => {
    const { client, calls } = scripted();
    const held = [
      { topic: 'a', id: '1-0' },
      { topic: 'b', id: '2-0' },
      { topic: 'a', id: '3-0' },
    ];
    await new ClaimLoop(client, claimant, hooks({ held: () => held, room: () => 0 }).hooks).tick();
    assert.deepEqual(calls, [
      ['XCLAIM', 'a', 'g', 'me', 0, '1-0', '3-0', 'JUSTID'],
      ['XCLAIM', 'b', 'g', 'me', 0, '2-0', 'JUSTID'],
    ]);
  });

  it('takes over idle entries of each topic up to the room, resuming where the previous scan ended', async () => {
    const { client, calls } = scripted([
      ['7-0', [entry('5-0')]],
      ['0-0', []],
      ['0-0', [entry('9-0')]],
      ['0-0', []],
    ]);
    const { hooks: all, ingested } = hooks({ room: () => 4 });
    const claims = new ClaimLoop(client, claimant, all);
    await claims.tick();
    await claims.tick();
    assert.deepEqual(calls, [
      ['XAUTOCLAIM', 'a', 'g', 'me', 500, '0-0', 'COUNT', 4],
      ['XAUTOCLAIM', 'b', 'g', 'me', 500, '0-0', 'COUNT', 4],
      ['XAUTOCLAIM', 'a', 'g', 'me', 500, '7-0', 'COUNT', 4],
      ['XAUTOCLAIM', 'b', 'g', 'me', 500, '0-0', 'COUNT', 4],
    ]);
    assert.deepEqual(ingested, [
      { topic: 'a', ids: ['5-0'] },
      { topic: 'b', ids: [] },
      { topic: 'a', ids: ['9-0'] },
      { topic: 'b', ids: [] },
    ]);
  });

  it('asks for the room before each topic and claims nothing once there is none (full, or stopped)', async () => {
    const { client, calls } = scripted();
    const rooms = [2, 0];
    await new ClaimLoop(client, claimant, hooks({ room: () => rooms.shift() ?? 0 }).hooks).tick();
    assert.deepEqual(calls, [['XAUTOCLAIM', 'a', 'g', 'me', 500, '0-0', 'COUNT', 2]]);
  });

  it('reports a failed tick and ticks again', async () => {
    let attempts = 0;
    const retried = deferred();
    const failures: unknown[] = [];
    const client: ClaimClient = {
      xclaim: async () => [],
      async callBuffer() {
        attempts += 1;
        if (attempts === 1) throw new Error('LOADING');
        retried.resolve();
        return [Buffer.from('0-0'), []];
      },
    };
    const claims = new ClaimLoop(client, { ...claimant, topics: ['a'] }, hooks({ failed: (error) => void failures.push(error) }).hooks);
    claims.start(1);
    await retried.promise;
    claims.stop();
    assert.equal(failures.length, 1);
    assert.match(String(failures[0]), /LOADING/);
  });

  it('skips ticks while one is still running', async () => {
    const release = deferred();
    const started = deferred();
    let ticks = 0;
    const client: ClaimClient = {
      xclaim: async () => [],
      async callBuffer() {
        ticks += 1;
        started.resolve();
        await release.promise;
        return [Buffer.from('0-0'), []];
      },
    };
    const claims = new ClaimLoop(client, { ...claimant, topics: ['a'] }, hooks().hooks);
    claims.start(1);
    await started.promise;
    // Several periods pass while the first tick hangs.
    for (let index = 0; index < 5; index += 1) await new Promise((resolve) => setTimeout(resolve, 2));
    claims.stop();
    assert.equal(ticks, 1);
    release.resolve();
  });
});
