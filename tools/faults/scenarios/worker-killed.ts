import { randomBytes } from 'node:crypto';
import { createMessaging, silentLogger, type Messaging } from '../../../entry/index.js';
import { createLedger, type Ledger } from '../ledger.js';
import type { FaultBroker, FaultTarget, RealBroker, Scenario } from '../types.js';
import { spawnWorker, type LineProcess, type WorkerConfig } from '../worker.js';

/**
 * Scenario 3: a worker process is SIGKILLed in the middle of a handler.
 *
 * Single: two worker processes share a group; one blocks in every handler. Messages are sent one
 * at a time until the blocking one holds one, then it is killed; the other member must receive
 * that message (Kafka: after the session timeout and a rebalance; RabbitMQ: requeued when the
 * connection drops; Redis: claimed by XAUTOCLAIM once idle for claimIdleMs). The time from the
 * kill to the other member starting the message is the recovery time.
 *
 * Bulk: two working processes share 500 messages (quick: 100); one is killed as it starts a
 * message once a third were handled, while sends go on. Nothing acknowledged may be lost;
 * duplicates are counted.
 */
export const workerKilled: Scenario = {
  name: 'worker-killed',
  title: 'Worker process SIGKILLed mid-handler: its message is redelivered to another member',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const broker = realBroker(target.broker, workerKilled.name);
    const ledger = createLedger();
    const notes: string[] = [];
    const producer = createMessaging({ broker: target.connect(), source: 'eventwire-faults', logger: silentLogger });
    const workers: LineProcess[] = [];
    try {
      const single = await killOne(target, broker, producer, ledger, workers);
      notes.push(
        `single: the killed worker held ${single.id} (after ${single.tries} send(s)); ` +
          `another member started it ${single.redeliveryMs} ms after SIGKILL (${tuningNote(broker)})`,
      );
      const bulk = await killDuringFlow(target, broker, producer, ledger, workers, quick ? 100 : 500);
      notes.push(
        `bulk: ${bulk.total} messages, worker killed after ${bulk.killedAfter} were handled, holding ${bulk.inFlight} in flight; ` +
          (bulk.inFlight === 0 ? 'nothing to redeliver' : `all of them handled by the survivor ${bulk.redeliveryMs} ms after SIGKILL`) +
          `; survivor handled ${bulk.survivorHandled}, killed worker ${bulk.victimHandled}; all settled ${bulk.settledMs} ms after SIGKILL`,
      );
      return ledger.result(workerKilled.name, target.broker, { recoveryMs: single.redeliveryMs, notes });
    } catch (error) {
      notes.push(`failed: ${error instanceof Error ? error.message : String(error)}`);
      return ledger.result(workerKilled.name, target.broker, { recoveryMs: null, notes, ok: false });
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await producer.close({ timeoutMs: 1_000 }).catch(() => {});
    }
  },
};

/**
 * `broker`, for a scenario whose consumers run in processes of their own: the memory broker,
 * which no other process can reach, throws.
 *
 * @example
 * const broker = realBroker(target.broker, sigtermDrain.name);
 */
export function realBroker(broker: FaultBroker, scenario: string): RealBroker {
  if (broker === 'memory') throw new Error(`${scenario} needs a broker other processes can reach; memory is not applicable`);
  return broker;
}

/**
 * Adapter tuning that makes a dead member's messages move within seconds: Kafka's session
 * timeout (default 30 s) and Redis's claim idle time (default 30 s). RabbitMQ requeues as soon
 * as the connection drops, which the kernel reports at once for a killed process.
 */
export function fastFailover(broker: FaultBroker): Record<string, unknown> {
  if (broker === 'kafka') return { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 };
  if (broker === 'redis') return { claimIdleMs: 1_000 };
  return {};
}

function tuningNote(broker: RealBroker): string {
  if (broker === 'kafka') return 'Kafka sessionTimeoutMs 6000';
  if (broker === 'redis') return 'Redis claimIdleMs 1000';
  return 'RabbitMQ requeues on connection loss';
}

const READY_MS = 60_000;
const STEP_MS = 20_000;
const REDELIVERY_MS = 60_000;

/** A worker's configuration; its group, subscribed in the worker processes, is tracked for cleanup. */
function workerConfig(target: FaultTarget, broker: RealBroker, label: string, behaviour: string): WorkerConfig {
  const suffix = randomBytes(4).toString('hex');
  const config = { broker, url: target.url, topic: `fault-killed-${label}-${suffix}`, group: `fault-killed-${label}-${suffix}`, behaviour, concurrency: 1, tuning: fastFailover(broker) };
  target.track(config.group, [config.topic]);
  return config;
}

/** Counts each `handled <id>` line of a worker into the ledger. */
function track(worker: LineProcess, ledger: Ledger): void {
  worker.onLine((text) => {
    const handled = /^handled (\S+)$/.exec(text)?.[1];
    if (handled !== undefined) ledger.handled(handled);
  });
}

/**
 * Sends `{ id }` (what workers and the CLI fixture consume) with `key`, recorded in `ledger` as
 * sent, then as acknowledged once send() resolved.
 *
 * @example
 * await sendRecorded(producer, ledger, topic, 'drain-1', 'k1');
 */
export async function sendRecorded(producer: Messaging, ledger: Ledger, topic: string, id: string, key = id): Promise<void> {
  ledger.sent(id);
  await producer.getProducer().send(topic, { id }, { key });
  ledger.acknowledged(id);
}

async function killOne(target: FaultTarget, broker: RealBroker, producer: Messaging, ledger: Ledger, workers: LineProcess[]) {
  const blocking = workerConfig(target, broker, 'single', 'block');
  const victim = spawnWorker('victim', blocking);
  const survivor = spawnWorker('survivor', { ...blocking, behaviour: 'work' });
  workers.push(victim, survivor);
  track(victim, ledger);
  track(survivor, ledger);
  await Promise.all([victim.waitForLine(/^ready$/, READY_MS), survivor.waitForLine(/^ready$/, READY_MS)]);

  // Competing members share messages their own way (round-robin, first blocked reader, Kafka
  // partitions): send until the blocking member holds one.
  for (let tries = 1; tries <= 30; tries += 1) {
    const id = `single-${tries}-${randomBytes(3).toString('hex')}`;
    const escaped = id.replace(/[-]/g, '\\-');
    const heldByVictim = victim.waitForLine(new RegExp(`^started ${escaped}$`), STEP_MS).then(() => true);
    const handledBySurvivor = survivor.waitForLine(new RegExp(`^handled ${escaped}$`), STEP_MS).then(() => false);
    heldByVictim.catch(() => {});
    handledBySurvivor.catch(() => {});
    await sendRecorded(producer, ledger, blocking.topic, id);
    if (!(await Promise.race([heldByVictim, handledBySurvivor]))) continue;
    const killedAt = Date.now();
    victim.child.kill('SIGKILL');
    const started = await survivor.waitForLine(new RegExp(`^started ${escaped}$`), REDELIVERY_MS);
    await survivor.waitForLine(new RegExp(`^handled ${escaped}$`), STEP_MS);
    return { id, tries, redeliveryMs: started.at - killedAt };
  }
  throw new Error('the blocking worker received none of 30 messages');
}

async function killDuringFlow(target: FaultTarget, broker: RealBroker, producer: Messaging, ledger: Ledger, workers: LineProcess[], total: number) {
  const config = workerConfig(target, broker, 'bulk', 'sleep:20');
  const victim = spawnWorker('bulk-victim', config);
  const survivor = spawnWorker('bulk-survivor', config);
  workers.push(victim, survivor);
  track(victim, ledger);
  track(survivor, ledger);
  await Promise.all([victim.waitForLine(/^ready$/, READY_MS), survivor.waitForLine(/^ready$/, READY_MS)]);

  let progress = (): void => {};
  const onProgress = (): void => progress();
  victim.onLine(onProgress);
  survivor.onLine(onProgress);
  /** Resolves once fewer than `window` acknowledged messages are unhandled. */
  const room = async (window: number): Promise<void> => {
    while (ledger.counts.acknowledged - ledger.counts.handledDistinct >= window) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message handled for ${STEP_MS} ms (${ledger.counts.handledDistinct} of ${ledger.counts.acknowledged})`)), STEP_MS);
        progress = () => (clearTimeout(timer), resolve());
      });
    }
  };

  const killAt = Math.floor(total / 3);
  let killedAt: number | undefined;
  let inFlight: string[] = [];
  const kill = (): void => {
    if (killedAt !== undefined) return;
    // What the victim started but did not report handled is what the group must receive again.
    const started = new Set(victim.lines.map((line) => /^started (\S+)$/.exec(line.text)?.[1]).filter((id) => id !== undefined));
    for (const line of victim.lines) started.delete(/^handled (\S+)$/.exec(line.text)?.[1] ?? '');
    inFlight = [...started];
    killedAt = Date.now();
    victim.child.kill('SIGKILL');
  };
  // Killed as it starts a message once a third were handled, so that it dies mid-handler (or,
  // should it get no more messages, once the survivor handled 50 more).
  victim.onLine((text) => {
    if (text.startsWith('started ') && ledger.counts.handledDistinct >= killAt) kill();
  });
  survivor.onLine(() => {
    if (ledger.counts.handledDistinct >= killAt + 50) kill();
  });

  // Sends run ahead of the handlers by at most 40 messages, so that they go on across the kill.
  const prefix = `bulk-${randomBytes(3).toString('hex')}`;
  for (let index = 0; index < total; index += 10) {
    await room(40);
    const batch = Array.from({ length: Math.min(10, total - index) }, (_, offset) => `${prefix}-${index + offset}`);
    await Promise.all(batch.map((id) => sendRecorded(producer, ledger, config.topic, id)));
  }
  await ledger.settled(REDELIVERY_MS);
  if (killedAt === undefined) throw new Error('every message was handled before the kill threshold; nothing was tested');
  // A `handled` line the victim wrote just before the kill can still be in the pipe: such a
  // message was not in flight after all (if its acknowledgement was lost, it is a duplicate).
  const lateHandled = new Set(victim.lines.map((line) => /^handled (\S+)$/.exec(line.text)?.[1]));
  const heldAtKill = inFlight.filter((id) => !lateHandled.has(id));
  const redelivered = heldAtKill.map((id) => survivor.lines.find((line) => line.text === `handled ${id}`)?.at ?? Number.NaN);
  const handledLines = (worker: LineProcess) => worker.lines.filter((line) => line.text.startsWith('handled '));
  const lastHandled = Math.max(...[...handledLines(victim), ...handledLines(survivor)].map((line) => line.at));
  return {
    total,
    killedAfter: killAt,
    inFlight: heldAtKill.length,
    redeliveryMs: heldAtKill.length === 0 ? null : Math.max(...redelivered) - killedAt,
    settledMs: lastHandled - killedAt,
    survivorHandled: handledLines(survivor).length,
    victimHandled: handledLines(victim).length,
  };
}
