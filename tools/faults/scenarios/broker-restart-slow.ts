import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMessaging } from '../../../entry/index.js';
import { deferred } from '../../../lib/waiting.js';
import { createLedger } from '../ledger.js';
import type { Scenario } from '../types.js';
import { startGroup, startPublishers } from '../load.js';
import { recordingLogger } from '../recording-logger.js';
import { watchRestart, within, type Restart } from '../restart-watch.js';
import { createTimeline, unhandledNote, type TestMessage } from '../timeline.js';

/** Every this many messages, one whose handler is slow (at 200 a second: one a second). */
const SLOW_EVERY = 200;
/** How long a slow handler works: long enough to span the broker's whole restart. */
const SLOW_MS = 4_000;

/**
 * Scenario 1b: the broker restarts once while a slow handler is in flight. 10 publishers send N
 * messages (3,000; quick 600) at 200 a second to a group of 3 consumers; every 200th message
 * takes its handler 4 s. Once a third was acknowledged and a slow handler is running, the broker
 * is restarted: the slow handler finishes while the broker is down or coming back, so its
 * acknowledgement (offset commit, XACK, basic.ack) meets the outage. At the end every
 * acknowledged message must have been handled (or dead-lettered); a message handled twice is
 * counted as duplicated. Recovery is measured as in scenario 1.
 */
export const brokerRestartSlow: Scenario = {
  name: 'broker-restart-slow',
  title: 'Broker restarted once while a slow handler is in flight',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const restart = target.restart?.bind(target);
    if (restart === undefined) throw new Error(`The ${target.broker} target cannot restart.`);
    const total = quick ? 600 : 3_000;
    const id = randomUUID().slice(0, 8);
    const topic = `faults-restart-slow-${id}`;
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    let slowInFlight = 0;
    const work = async ({ seq }: TestMessage): Promise<void> => {
      if (seq % SLOW_EVERY !== SLOW_EVERY - 1) return;
      slowInFlight += 1;
      timeline.poke();
      await sleep(SLOW_MS);
      slowInFlight -= 1;
    };
    const group = await startGroup({ target, members: 3, topic, groupId: `faults-restart-slow-${id}`, ledger, timeline, logger: log, work });
    const producer = createMessaging({ broker: target.connect({ tuning: { logger: log } }), source: 'eventwire-faults', logger: log, publishTimeoutMs: 5_000 });
    // Messages past 60% wait for the restart to be over, so that traffic follows it.
    const over = deferred();
    const publishers = startPublishers({
      hold: (seq) => (seq >= total * 0.6 ? over.promise : undefined),
      send: (message) => producer.getProducer().send(topic, message, { key: `k${message.seq % 30}` }),
      ledger,
      timeline,
      count: total,
      concurrency: 10,
      ratePerSecond: 200,
      retryDelayMs: 250,
      giveUpAfterMs: 300_000,
    });

    const notes: string[] = [];
    let failure: string | undefined;
    let restarted: Restart | undefined;
    try {
      await timeline.until(() => ledger.counts.acknowledged >= total / 3 && slowInFlight > 0, 300_000, 'a third acknowledged and a slow handler in flight');
      notes.push(`restart began with ${slowInFlight} slow handler(s) in flight`);
      restarted = await watchRestart(target, restart, () => {});
      over.resolve();
      await within(publishers.done, 300_000, 'every send to be acknowledged');
      await ledger.settled(180_000);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      publishers.stop();
      over.resolve();
    }
    await group.stop();
    await producer.close({ timeoutMs: 1_000 });

    const recovery = restarted === undefined ? undefined : { send: timeline.firstAckAfter(restarted.back), handle: timeline.firstFreshHandledAfter(restarted.back) };
    if (restarted !== undefined && recovery !== undefined) {
      notes.push(
        `port refused connections from +${restarted.down - restarted.at} to +${restarted.back - restarted.at} ms; after it reopened: ` +
          `next acknowledged send ${show(recovery.send)}, next handled fresh message ${show(recovery.handle)}`,
      );
    }
    notes.push(...publishers.describe(), ...log.describe());
    if (failure !== undefined) notes.push(`failed: ${failure}`, ...unhandledNote(timeline, topic));
    const recovered = recovery?.send !== undefined && recovery.handle !== undefined;
    return ledger.result(brokerRestartSlow.name, target.broker, {
      recoveryMs: recovered ? Math.max(recovery?.send ?? 0, recovery?.handle ?? 0) : null,
      notes,
      ok: failure === undefined && recovered && publishers.untyped === 0 && publishers.unacknowledged === 0,
    });
  },
};

const show = (value: number | undefined): string => (value === undefined ? 'never' : `${value} ms`);
