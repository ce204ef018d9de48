import { randomUUID } from 'node:crypto';
import { createLedger } from '../ledger.js';
import { startGroup, startPublishers, type Group, type Publishers } from '../load.js';
import { faultEventName, inTransaction, openOutboxDb, outboxMessage, spawnRelay, type OutboxDb } from '../outbox-db.js';
import { recordingLogger } from '../recording-logger.js';
import { watchRestart, within } from '../restart-watch.js';
import { createTimeline, unhandledNote } from '../timeline.js';
import type { Scenario } from '../types.js';
import type { LineProcess } from '../worker.js';

/**
 * Scenario 14: PostgreSQL crashes and restarts under load: the run's own cluster (never the
 * machine's), stopped with SIGQUIT (immediate shutdown, WAL replayed at the start) once a third
 * of N events committed (N = 3,000 at 500/s; quick 600 at 200/s). Transactions stage the events 4
 * at a time; a transaction that fails is run again with the same message, as a caller would (a
 * COMMIT whose reply was lost may have committed: its event then comes twice, a duplicate, never
 * a loss). One relay (`eventwire outbox relay`) publishes throughout and must carry on by
 * itself. Acknowledged = COMMIT returned. Recovery: from the port open again to the later of the
 * next COMMIT and the next handled event staged after it.
 */
export const outboxPostgresRestart: Scenario = {
  name: 'outbox-postgres-restart',
  title: "The outbox's PostgreSQL crashed and restarted under load: every committed event handled",
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const total = quick ? 600 : 3_000;
    const id = randomUUID().slice(0, 8);
    const topic = `faults-outbox-pg-${id}`;
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const notes: string[] = [];
    let relay: LineProcess | undefined;
    let db: OutboxDb | undefined;
    let group: Group | undefined;
    let publishers: Publishers | undefined;
    let failure: string | undefined;
    let checks = { ok: false, recoveryMs: null as number | null };
    try {
      const opened = (db = await openOutboxDb('pg_restart', '', log));
      group = await startGroup({ target, members: 2, topic, groupId: topic, ledger, timeline, logger: log, decode: outboxMessage });
      relay = await spawnRelay('relay', target, opened);
      const stagers = (publishers = startPublishers({
        send: (message) => inTransaction(opened.pool, (client) => opened.outbox.stage(client, faultEventName, message, { topic, key: `k${message.seq % 10}` })),
        ledger,
        timeline,
        count: total,
        concurrency: 4,
        ratePerSecond: quick ? 200 : 500,
        giveUpAfterMs: 120_000,
      }));
      await timeline.until(() => ledger.counts.acknowledged >= total / 3, 60_000, 'a third of the events to be committed');
      const restart = await watchRestart(opened.postgres, () => opened.postgres.restart(), () => {});
      await within(stagers.done, 120_000, 'every event to be committed');
      await ledger.settled(quick ? 60_000 : 120_000);
      await relay.stop();
      const left = await opened.pending();
      const send = timeline.firstAckAfter(restart.back);
      const handle = timeline.firstFreshHandledAfter(restart.back);
      const rejected = stagers.rejectionsBetween(restart.at, restart.ready + 1);
      notes.push(
        `PostgreSQL port closed from +${restart.down - restart.at} to +${restart.back - restart.at} ms; ${rejected.count} transactions failed meanwhile and were run again; ` +
          `after it reopened: next COMMIT ${send ?? 'never'} ms, next fresh event handled ${handle ?? 'never'} ms; rows left at the end: ${left}; ` +
          `the relay ${relay.child.exitCode === 0 ? 'exited 0 at the end' : `ended with ${relay.child.exitCode ?? relay.child.signalCode}`}`,
      );
      const recovered = send !== undefined && handle !== undefined;
      checks = { ok: recovered && left === 0 && stagers.unacknowledged === 0 && relay.child.exitCode === 0, recoveryMs: recovered ? Math.max(send, handle) : null };
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      notes.push(`failed: ${failure}`, ...unhandledNote(timeline, topic));
    } finally {
      publishers?.stop();
      await relay?.stop();
      await group?.stop();
      await db?.drop();
    }
    notes.push(...(publishers?.describe() ?? []), ...log.describe());
    return ledger.result(outboxPostgresRestart.name, target.broker, { recoveryMs: checks.recoveryMs, notes, ok: failure === undefined && checks.ok });
  },
};
