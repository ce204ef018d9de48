import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisBroker } from '../../adapters/redis/index.js';
import { silentLogger } from '../../lib/config/logger.js';
import { killNode } from './node-loss.js';
import { pidFileOf, pidOf, primaryOf, restartSet, sentinelName, sentinelUrls } from './sentinel-set.js';

// Run by scripts/cluster-check.sh on the local Sentinel set; not part of npm test. What an
// acknowledged publish loses when the replicas lag: both replicas are stopped (SIGSTOP) under
// load, the primary is killed STOP_MS later, and the replicas resume 500 ms after that, so the
// Sentinels promote one that missed what the primary acknowledged meanwhile and had not yet
// handed to the kernel. 1 KB entries make that outgrow the sockets' buffers within the pause. The
// run counts the acknowledged entries missing from the promoted primary's stream. Publishing goes
// on until AFTER_KILL publishes were acknowledged after the kill, however fast the primary was.
/** Acknowledged publishes before the replicas stop, and after the kill before the run ends. */
const BEFORE_STOP = 3000;
const AFTER_KILL = 2000;
const STOP_MS = Number(process.env.LAGGING_STOP_MS ?? 1500);
const payload = 'x'.repeat(1000);

/** The first field (`m<n>`) of each entry of `stream` on `client`. */
async function storedValues(client: Redis, stream: string): Promise<Set<string>> {
  const stored = new Set<string>();
  for (let from = '-'; ; ) {
    const entries = (await client.xrange(stream, from, '+', 'COUNT', 5000)) as [string, string[]][];
    for (const [, fields] of entries) stored.add(String(fields[fields.indexOf('value') + 1]).split('|')[0] as string);
    const last = entries.at(-1);
    if (entries.length < 5000 || last === undefined) return stored;
    from = `(${last[0]}`;
  }
}

describe('Redis Sentinel: the primary lost while its replicas lag', function () {
  this.timeout(240_000);
  const topic = `lag-${randomBytes(4).toString('hex')}`;
  const stopped: number[] = [];
  let sentinel: Redis;

  before(async () => {
    sentinel = new Redis(sentinelUrls[0] as string);
    await sentinel.ping();
  });

  after(async () => {
    // Never leave a replica stopped, whatever failed.
    for (const pid of stopped.splice(0)) process.kill(pid, 'SIGCONT');
    const primary = new Redis({ sentinels: [{ host: '127.0.0.1', port: 27071 }], name: sentinelName });
    await primary.del(topic);
    primary.disconnect();
    sentinel.disconnect();
  });

  it('loses what the primary acknowledged and had not yet sent, and nothing published after the kill', async () => {
    const primary = await primaryOf(sentinel);
    const replicas = ['127.0.0.1:27061', '127.0.0.1:27062', '127.0.0.1:27063'].filter((node) => node !== primary);
    const broker = createRedisBroker({ url: sentinelUrls, sentinel: sentinelName, logger: silentLogger });
    const acked = new Map<string, { began: number; at: number }>();
    let next = 0;
    let stoppedAt = 0;
    let killedAt = 0;
    const stopThenKill = (): void => {
      stoppedAt = Date.now();
      for (const node of replicas) {
        const pid = pidOf(node);
        process.kill(pid, 'SIGSTOP');
        stopped.push(pid);
      }
      setTimeout(() => {
        killedAt = Date.now();
        killNode(pidFileOf(primary), `redis-server ${primary}`);
        setTimeout(() => {
          for (const pid of stopped.splice(0)) process.kill(pid, 'SIGCONT');
        }, 500);
      }, STOP_MS);
    };
    let afterKill = 0;
    const loop = async (): Promise<void> => {
      while (killedAt === 0 || afterKill < AFTER_KILL) {
        const n = next++;
        let began = Date.now();
        for (;;) {
          try {
            await broker.publish(topic, [{ headers: {}, value: Buffer.from(`m${n}|${payload}`) }]);
            break;
          } catch {
            await new Promise((resolve) => setTimeout(resolve, 100));
            began = Date.now();
          }
        }
        acked.set(`m${n}`, { began, at: Date.now() });
        if (killedAt !== 0 && began > killedAt) afterKill += 1;
        if (acked.size === BEFORE_STOP && stoppedAt === 0) stopThenKill();
      }
    };
    try {
      await Promise.all(Array.from({ length: 20 }, loop));
    } finally {
      await broker.close();
    }
    const promoted = await primaryOf(sentinel);
    const admin = new Redis(Number(promoted.split(':')[1]), '127.0.0.1');
    const stored = await storedValues(admin, topic).finally(() => admin.disconnect());
    const missing = [...acked].filter(([value]) => !stored.has(value));
    const during = [...acked.values()].filter(({ at }) => at >= stoppedAt && at <= killedAt).length;
    const before = missing.map(([, { at }]) => killedAt - at);
    const window = missing.length === 0 ? '' : ` (acknowledged ${Math.min(...before)}–${Math.max(...before)} ms before the kill)`;
    console.log(`      sentinel: replicas stopped ${STOP_MS} ms before primary ${primary} was killed, ${promoted} promoted; ${acked.size} acknowledged, ${during} while the replicas were stopped; ${missing.length} lost${window}`);
    assert.ok(afterKill >= AFTER_KILL, `${afterKill} publishes acknowledged after the kill`);
    assert.notEqual(promoted, primary, 'the Sentinels promoted a replica');
    // A publish begun after the kill went to the promoted primary: none of those may be missing.
    const lostAfterKill = missing.filter(([, { began }]) => began > killedAt);
    assert.deepEqual(lostAfterKill.slice(0, 10), [], `${lostAfterKill.length} messages published after the kill were lost`);
    const restart = await restartSet();
    assert.equal(restart.code, 0, restart.output);
  });
});
