import { strict as assert } from 'node:assert';
import type { RawEntry } from '../../adapters/redis/codec.js';
import { ReadLoop, type ReadClient, type ReadHooks } from '../../adapters/redis/read-loop.js';
import { silentLogger } from '../../lib/config/logger.js';
import { deferred } from '../support/wait.js';

type Reply = [stream: Buffer, entries: RawEntry[]][] | null | Error;

/**
 * A reader that answers XREADGROUP from a script of replies; once the script is used up, the
 * read blocks until the test calls end(), as a blocked read ends when its connection goes.
 */
function scripted(script: Reply[]) {
  const reads: (string | number)[][] = [];
  const drained = deferred();
  const ended = deferred<null>();
  const client: ReadClient = {
    status: 'ready',
    async xreadgroupBuffer(...args) {
      reads.push(args);
      const reply = script.shift();
      if (reply === undefined) {
        drained.resolve();
        return ended.promise;
      }
      if (reply instanceof Error) throw reply;
      return reply;
    },
  };
  return { client, reads, drained: drained.promise, end: () => ended.resolve(null) };
}

const entries = (stream: string, ...ids: string[]): [Buffer, RawEntry[]] => [Buffer.from(stream), ids.map((id) => [Buffer.from(id), []])];
const reader = { group: 'g', consumer: 'me', topics: ['a', 'b'], blockMs: 2000 };

function hooks(overrides: Partial<ReadHooks> = {}) {
  const ingested: { topic: string; ids: string[]; fromPending: boolean }[] = [];
  const all: ReadHooks = {
    capacity: () => 5,
    ingest: (topic, raw, fromPending) => void ingested.push({ topic, ids: raw.map(([id]) => id.toString()), fromPending }),
    beforeRead: () => {},
    recreateGroups: async () => {},
    ...overrides,
  };
  return { hooks: all, ingested };
}

/** Runs `loop` until the script is drained, then stops it and ends the script's last read. */
async function runToEnd(loop: ReadLoop, drained: Promise<unknown>, end: () => void): Promise<void> {
  const running = loop.run();
  await drained;
  loop.stop();
  end();
  await running;
}

describe('Redis read loop', () => {
  it('reads its own pending entries first, from where the last read ended, then new ones', async () => {
    const { client, reads, drained, end } = scripted([[entries('a', '1-0', '2-0'), entries('b')], [entries('a')], [entries('a', '9-0')]]);
    const { hooks: all, ingested } = hooks();
    const loop = new ReadLoop(client, reader, silentLogger, {}, all);
    await runToEnd(loop, drained, end);
    const ids = reads.map((args) => args.slice(-2));
    assert.deepEqual(ids, [
      ['0', '0'],
      ['2-0', '>'],
      ['>', '>'],
      ['>', '>'],
    ]);
    assert.deepEqual(reads[0]?.slice(0, 8), ['GROUP', 'g', 'me', 'COUNT', 5, 'BLOCK', 2000, 'STREAMS']);
    assert.deepEqual(ingested, [
      { topic: 'a', ids: ['1-0', '2-0'], fromPending: true },
      { topic: 'b', ids: [], fromPending: true },
      { topic: 'a', ids: [], fromPending: true },
      { topic: 'a', ids: ['9-0'], fromPending: false },
    ]);
  });

  it('reads only what there is room for, and waits for wake() while there is none', async () => {
    const { client, reads, drained, end } = scripted([null]);
    let room = 0;
    const asked = deferred();
    const { hooks: all } = hooks({ capacity: () => (asked.resolve(), room) });
    const loop = new ReadLoop(client, reader, silentLogger, {}, all);
    const running = loop.run();
    await asked.promise;
    assert.equal(reads.length, 0);
    room = 2;
    loop.wake();
    await drained;
    loop.stop();
    end();
    await running;
    assert.equal(reads[0]?.[4], 2);
  });

  it('calls beforeRead right before each read (queued XACKs go out just ahead of it)', async () => {
    const { client, reads, drained, end } = scripted([[entries('a', '1-0')], [entries('a', '2-0')]]);
    const order: string[] = [];
    const traced: ReadClient = {
      status: client.status,
      xreadgroupBuffer: (...args) => (order.push(`read ${reads.length + 1}`), client.xreadgroupBuffer(...args)),
    };
    const { hooks: all } = hooks({ beforeRead: () => void order.push(`beforeRead ${reads.length + 1}`) });
    const loop = new ReadLoop(traced, reader, silentLogger, {}, all);
    await runToEnd(loop, drained, end);
    assert.deepEqual(order, ['beforeRead 1', 'read 1', 'beforeRead 2', 'read 2', 'beforeRead 3', 'read 3']);
  });

  it('waits for an ingest that returns a promise before reading again', async () => {
    const { client, reads, drained, end } = scripted([[entries('a', '1-0')], [entries('a', '2-0')]]);
    const taking = deferred();
    let readsWhileTaking = -1;
    const { hooks: all } = hooks({
      ingest: (_topic, raw) => {
        if (raw[0]?.[0].toString() !== '1-0') return undefined;
        setImmediate(() => ((readsWhileTaking = reads.length), taking.resolve()));
        return taking.promise;
      },
    });
    const loop = new ReadLoop(client, reader, silentLogger, {}, all);
    await runToEnd(loop, drained, end);
    assert.equal(readsWhileTaking, 1, 'no second read while the first entries were being taken in');
    assert.equal(reads.length, 3);
  });

  it('recreates the groups when the stream or its group was deleted, and reads again', async () => {
    const { client, reads, drained, end } = scripted([new Error('NOGROUP No such key')]);
    let recreated = 0;
    const { hooks: all } = hooks({ recreateGroups: async () => void (recreated += 1) });
    const loop = new ReadLoop(client, reader, silentLogger, {}, all);
    await runToEnd(loop, drained, end);
    assert.equal(recreated, 1);
    assert.equal(reads.length, 2);
  });
});
