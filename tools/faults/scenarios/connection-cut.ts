import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMessaging } from '../../../entry/index.js';
import { createLedger } from '../ledger.js';
import { createProxy } from '../../../test/support/proxy.js';
import type { Scenario } from '../types.js';
import { startGroup, startPublishers } from '../load.js';
import { recordingLogger } from '../recording-logger.js';
import { within } from '../restart-watch.js';
import { createTimeline, unhandledNote } from '../timeline.js';

/** `send()` must settle within this; the scenario configures it and checks it. */
const publishTimeoutMs = 2_000;
/**
 * Slack over publishTimeoutMs before a rejection counts as late. Generous on purpose: what this
 * guards against is a send() that waits for the client's own limits instead of its deadline
 * (kafkajs' 30 s request timeout, amqplib and ioredis until the connection is back), not a
 * deadline timer that fired a second late on a loaded 2-core machine.
 */
const rejectionSlackMs = publishTimeoutMs;
/** Producers and consumers must carry traffic again within this after each fault. */
const recoveryBoundMs = 30_000;
/** Closing everything while the broker is silent must take less than this. */
const closeBoundMs = 15_000;

/**
 * Scenario 2: the network between the clients and the broker fails while messages flow. Every
 * client (one producer connection, 2 consumers) goes through a TCP proxy. (a) `cut()` resets
 * every connection; (b) `blackhole()` keeps them open but silent (quick 3 s, full 35 s: longer
 * than kafkajs' 30 s request timeout), then `restore()`. While the broker is unreachable,
 * `send()` must reject with PublishError/PublishTimeoutError at its deadline, publishTimeoutMs
 * (2000; checked with as much again of slack), instead of hanging; after each fault producers and consumers must carry traffic again within
 * 30 s; nothing acknowledged may be lost. (c) Finally, with everything handled, the proxy is
 * blackholed again and the consumers and the producer are closed: that must take less than 15 s
 * (a deploy during a partition must not hang on the silent broker).
 */
export const connectionCut: Scenario = {
  name: 'connection-cut',
  title: 'Connections reset (cut) and silently dropped (blackhole) between clients and broker',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    if (target.port === undefined) throw new Error(`The ${target.broker} target has no port to proxy.`);
    const blackholeMs = quick ? 3_000 : 35_000;
    const id = randomUUID().slice(0, 8);
    const topic = `faults-cut-${id}`;
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const proxy = await createProxy(target.port);
    const group = await startGroup({ target, port: proxy.port, members: 2, topic, groupId: `faults-cut-${id}`, ledger, timeline, logger: log, publishTimeoutMs });
    const producer = createMessaging({ broker: target.connect({ port: proxy.port, tuning: { logger: log } }), source: 'eventwire-faults', logger: log, publishTimeoutMs });
    const publishers = startPublishers({
      send: (message) => producer.getProducer().send(topic, message, { key: `k${message.seq % 30}` }),
      ledger,
      timeline,
      count: Number.POSITIVE_INFINITY,
      concurrency: 10,
      ratePerSecond: quick ? 100 : 200,
      retryDelayMs: 100,
      giveUpAfterMs: 120_000,
    });

    const notes: string[] = [];
    const recoveries: number[] = [];
    let failure: string | undefined;
    let rejectedInBlackhole = { count: 0, maxMs: 0 };
    let closedInMs: number | undefined;
    const handledAtLeast = (n: number) => () => ledger.counts.handledDistinct >= n;
    const recovered = async (fault: string, since: number): Promise<void> => {
      await timeline.until(() => timeline.firstAckAfter(since) !== undefined && timeline.firstFreshHandledAfter(since) !== undefined, recoveryBoundMs, `traffic to flow again after ${fault}`);
      const send = timeline.firstAckAfter(since) ?? 0;
      const handle = timeline.firstFreshHandledAfter(since) ?? 0;
      recoveries.push(Math.max(send, handle));
      notes.push(`${fault}: next acknowledged send after ${send} ms, next handled fresh message after ${handle} ms`);
    };
    try {
      await timeline.until(handledAtLeast(100), 60_000, '100 messages handled before the faults');

      // (a) Reset every connection; clients must reconnect by themselves.
      const connections = proxy.connections;
      const cutAt = Date.now();
      proxy.cut();
      notes.push(`cut: reset ${connections} connections`);
      await recovered('cut', cutAt);
      const afterCut = ledger.counts.handledDistinct;
      await timeline.until(handledAtLeast(afterCut + 100), 60_000, '100 more messages handled after the cut');

      // (b) Silence: the fault itself lasts blackholeMs.
      const silentAt = Date.now();
      proxy.blackhole();
      await sleep(blackholeMs);
      proxy.restore();
      const restoredAt = Date.now();
      rejectedInBlackhole = publishers.rejectionsBetween(silentAt, restoredAt);
      notes.push(
        `blackhole ${blackholeMs} ms: ${rejectedInBlackhole.count} sends started during it rejected, slowest after ${rejectedInBlackhole.maxMs} ms (bound ${publishTimeoutMs} + ${rejectionSlackMs} ms)`,
      );
      await recovered('restore after blackhole', restoredAt);
      const afterRestore = ledger.counts.handledDistinct;
      await timeline.until(handledAtLeast(afterRestore + 100), 60_000, '100 more messages handled after the restore');

      publishers.stop();
      await within(publishers.done, 120_000, 'every send to be acknowledged');
      await ledger.settled(120_000);

      // (c) Shutting down while the broker is silent, as a deploy during a partition would: with
      // nothing left in flight, closing the consumers and the producer must not wait for it.
      proxy.blackhole();
      const closeStarted = Date.now();
      await within(Promise.all([group.stop(), producer.close({ timeoutMs: 1_000 })]), closeBoundMs, 'the consumers and the producer to close while the broker is silent');
      closedInMs = Date.now() - closeStarted;
      notes.push(`close while blackholed: consumers and producer closed in ${closedInMs} ms (bound ${closeBoundMs} ms)`);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      publishers.stop();
    }
    proxy.restore();
    await Promise.all([group.stop(), producer.close({ timeoutMs: 1_000 })]);
    await proxy.close();

    const slowest = publishers.slowestRejection;
    notes.push(`max observed send() rejection time ${slowest?.ms ?? 0} ms`, ...publishers.describe(), ...log.describe());
    const rejectionsBounded = (slowest?.ms ?? 0) <= publishTimeoutMs + rejectionSlackMs;
    if (!rejectionsBounded) notes.push(`a send() took ${slowest?.ms} ms to reject: over publishTimeoutMs ${publishTimeoutMs} ms`);
    if (failure === undefined && rejectedInBlackhole.count === 0) notes.push('no send() rejected during the blackhole: the fault did not reach the producer');
    if (failure !== undefined) notes.push(`failed: ${failure}`, ...unhandledNote(timeline, topic));
    return ledger.result(connectionCut.name, target.broker, {
      recoveryMs: recoveries.length === 2 ? Math.max(...recoveries) : null,
      notes,
      ok:
        failure === undefined &&
        recoveries.length === 2 &&
        closedInMs !== undefined &&
        rejectionsBounded &&
        rejectedInBlackhole.count > 0 &&
        publishers.untyped === 0 &&
        publishers.unacknowledged === 0,
    });
  },
};
