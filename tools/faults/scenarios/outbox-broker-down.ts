import { randomUUID } from 'node:crypto';
import { createLedger } from '../ledger.js';
import { startGroup, startPublishers, type Group, type Publishers } from '../load.js';
import { faultEventName, inTransaction, openOutboxDb, outboxMessage, spawnRelay, type OutboxDb } from '../outbox-db.js';
import { recordingLogger } from '../recording-logger.js';
import { watchRestart, within, type Restart } from '../restart-watch.js';
import { createTimeline, unhandledNote, type TestMessage } from '../timeline.js';
import type { Scenario } from '../types.js';
import type { LineProcess } from '../worker.js';

/** How long the broker stays stopped: 30 s, the quick variant 5 s. */
export const outageMs = { full: 30_000, quick: 5_000 } as const;

/**
 * Scenario 12: the broker is stopped for 30 s (quick: 5 s) while transactions keep committing
 * events, 4 at a time at 200/s (quick 100/s): the run's own broker instance is stopped
 * (`restart({ downMs })`), never the machine's. The events committed meanwhile wait in the outbox
 * table (its row count is sampled; it must grow), and one relay (`eventwire outbox relay`, its
 * default backoff) publishes them all after the broker returns, while commits go on for 3 s more.
 * Recovery: from the broker's port open again to the last event committed during the outage
 * handled.
 */
export const outboxBrokerDown: Scenario = {
  name: 'outbox-broker-down',
  title: 'Broker stopped for 30 s (quick 5 s) while transactions commit events: they wait in the table, all handled after it returns',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const restart = target.restart?.bind(target);
    if (restart === undefined) throw new Error(`The ${target.broker} target cannot restart.`);
    const downMs = quick ? outageMs.quick : outageMs.full;
    const id = randomUUID().slice(0, 8);
    const topic = `faults-outbox-down-${id}`;
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const committedAt = new Map<string, number>();
    const handledAt = new Map<string, number>();
    const notes: string[] = [];
    let relay: LineProcess | undefined;
    let db: OutboxDb | undefined;
    let group: Group | undefined;
    let failure: string | undefined;
    let checks = { ok: false, recoveryMs: null as number | null };
    let sampler: NodeJS.Timeout | undefined;
    let publishers: Publishers | undefined;
    try {
      const opened = (db = await openOutboxDb('broker_down', '', log));
      const work = async (message: TestMessage): Promise<void> => void handledAt.set(message.id, Date.now());
      group = await startGroup({ target, members: 2, topic, groupId: topic, ledger, timeline, logger: log, decode: outboxMessage, work });
      relay = await spawnRelay('relay', target, opened);
      publishers = startPublishers({
        send: async (message) => {
          await inTransaction(opened.pool, (client) => opened.outbox.stage(client, faultEventName, message, { topic, key: `k${message.seq % 10}` }));
          committedAt.set(message.id, Date.now());
        },
        ledger,
        timeline,
        count: Infinity,
        concurrency: 4,
        ratePerSecond: quick ? 100 : 200,
      });
      await timeline.until(() => ledger.counts.handledDistinct >= 50, 60_000, '50 events handled before the outage');
      let mostWaiting = 0;
      // Sampled rather than awaited: the count is a measurement, nothing waits on it.
      sampler = setInterval(() => void opened.pending().then((n) => (mostWaiting = Math.max(mostWaiting, n)), () => {}), 250);
      const outage: Restart = await watchRestart(target, () => restart({ downMs }), () => {});
      const ackedAtBack = ledger.counts.acknowledged;
      await timeline.until(() => ledger.counts.acknowledged >= ackedAtBack + (quick ? 300 : 600), 60_000, 'commits to go on for 3 s after the outage');
      publishers.stop();
      await within(publishers.done, 60_000, 'the last commits');
      await ledger.settled(quick ? 90_000 : 180_000);
      clearInterval(sampler);
      await relay.stop();
      const left = await opened.pending();
      const during = [...committedAt].filter(([, at]) => at >= outage.down && at < outage.back).map(([message]) => message);
      const recovery = during.length === 0 ? null : Math.max(...during.map((message) => handledAt.get(message) ?? Number.NaN)) - outage.back;
      notes.push(
        `broker port closed from +${outage.down - outage.at} to +${outage.back - outage.at} ms; ${during.length} events committed meanwhile; ` +
          `up to ${mostWaiting} rows waited in the table; the last of them handled ${recovery ?? '–'} ms after the port reopened; rows left at the end: ${left}`,
        ...publishers.describe(),
      );
      checks = { ok: during.length > 0 && mostWaiting > 0 && left === 0 && publishers.unacknowledged === 0, recoveryMs: recovery };
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      notes.push(`failed: ${failure}`, ...unhandledNote(timeline, topic));
    } finally {
      publishers?.stop();
      clearInterval(sampler);
      await relay?.stop();
      await group?.stop();
      await db?.drop();
    }
    notes.push(...log.describe());
    return ledger.result(outboxBrokerDown.name, target.broker, { recoveryMs: checks.recoveryMs, notes, ok: failure === undefined && checks.ok });
  },
};
