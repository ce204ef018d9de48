import { randomUUID } from 'node:crypto';
import { createMessaging } from '../../../entry/index.js';
import { deferred } from '../../../lib/waiting.js';
import { createLedger } from '../ledger.js';
import { startGroup, startPublishers } from '../load.js';
import { recordingLogger } from '../recording-logger.js';
import { watchRestart, within, type Restart } from '../restart-watch.js';
import { createTimeline, unhandledNote } from '../timeline.js';
import type { Scenario } from '../types.js';

/**
 * Scenario 1: the broker restarts twice under load. 20 publishers send N messages (10,000;
 * quick 1,000) through one producer connection while a group of 3 consumers (one connection
 * each) handles them; the broker is restarted once a third of the messages were acknowledged
 * and again at half. A rejected send is retried with the same id until acknowledged, as a
 * caller of `send()` would. At the end every acknowledged message must have been handled (or
 * dead-lettered). Recovery: from the moment the broker's port accepts connections again to the
 * next acknowledged send, and to the next handled message that was sent after that moment.

 */
export const brokerRestart: Scenario = {
  name: 'broker-restart',
  title: 'Broker restarted twice while 20 publishers send and 3 consumers handle',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const restart = target.restart?.bind(target);
    if (restart === undefined) throw new Error(`The ${target.broker} target cannot restart.`);
    const total = quick ? 1_000 : 10_000;
    const id = randomUUID().slice(0, 8);
    const topic = `faults-restart-${id}`;
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const publishTimeoutMs = 5_000;
    const group = await startGroup({ target, members: 3, topic, groupId: `faults-restart-${id}`, ledger, timeline, logger: log, publishTimeoutMs });
    const producer = createMessaging({ broker: target.connect({ tuning: { logger: log } }), source: 'eventwire-faults', logger: log, publishTimeoutMs });
    // Both restarts must land inside the traffic, however long the broker takes to stop and to
    // start: some messages wait for the port to close (so that sends hit the outage) and some for
    // the restart to be over (so that traffic follows it). Messages up to 40% flow freely, so
    // sends are in flight when the first restart begins at a third.
    const outages = [{ down: deferred(), ready: deferred() }, { down: deferred(), ready: deferred() }] as const;
    const gates: [number, Promise<void>][] = [
      [0.8, outages[1].ready.promise],
      [0.65, outages[1].down.promise],
      [0.5, outages[0].ready.promise],
      [0.4, outages[0].down.promise],
    ];
    const hold = (seq: number): Promise<void> | undefined => gates.find(([fraction]) => seq >= total * fraction)?.[1];
    const publishers = startPublishers({
      hold,
      send: (message) => producer.getProducer().send(topic, message, { key: `k${message.seq % 30}` }),
      ledger,
      timeline,
      count: total,
      concurrency: 20,
      ratePerSecond: quick ? 200 : 1_000,
      retryDelayMs: 250,
      giveUpAfterMs: 300_000,
    });

    const notes: string[] = [];
    const restarts: Restart[] = [];
    let failure: string | undefined;
    try {
      for (const [fraction, outage] of [[1 / 3, outages[0]], [1 / 2, outages[1]]] as const) {
        await timeline.until(() => ledger.counts.acknowledged >= Math.floor(total * fraction), 300_000, `${Math.round(fraction * 100)}% of the sends to be acknowledged`);
        restarts.push(await watchRestart(target, restart, outage.down.resolve));
        outage.down.resolve();
        outage.ready.resolve();
      }
      await within(publishers.done, 300_000, 'every send to be acknowledged');
      // Generous: a Redis entry whose XACK was lost with the connection waits claimIdleMs (30 s)
      // before XAUTOCLAIM hands it out again; Kafka rebalances after its session timeout.
      await ledger.settled(180_000);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      publishers.stop();
      for (const { down, ready } of outages) {
        down.resolve();
        ready.resolve();
      }
    }
    await group.stop();
    await producer.close({ timeoutMs: 1_000 });

    const recoveries = restarts.map(({ back }) => ({ send: timeline.firstAckAfter(back), handle: timeline.firstFreshHandledAfter(back) }));
    restarts.forEach(({ at, down, back, ready }, index) => {
      const { send, handle } = recoveries[index] ?? {};
      notes.push(
        `restart ${index + 1}: port refused connections from +${down - at} to +${back - at} ms (restart() returned at +${ready - at} ms); ` +
          `after it reopened: next acknowledged send ${ms(send)}, next handled fresh message ${ms(handle)}`,
      );
    });
    notes.push(...publishers.describe(), ...log.describe());
    const unrecovered = recoveries.some(({ send, handle }) => send === undefined || handle === undefined);
    if (failure !== undefined) notes.push(`failed: ${failure}`, ...unhandledNote(timeline, topic));
    if (restarts.length < 2) notes.push(`only ${restarts.length} restart(s) happened`);
    const recoveryMs = recoveries.length === 0 || unrecovered ? null : Math.max(...recoveries.flatMap(({ send, handle }) => [send ?? 0, handle ?? 0]));
    return ledger.result(brokerRestart.name, target.broker, {
      recoveryMs,
      notes,
      ok: failure === undefined && restarts.length === 2 && !unrecovered && publishers.untyped === 0 && publishers.unacknowledged === 0,
    });
  },
};

const ms = (value: number | undefined): string => (value === undefined ? 'never' : `${value} ms`);
