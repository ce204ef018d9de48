import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createMessaging, type Messaging } from '../../../entry/index.js';
import { createLedger } from '../ledger.js';
import { openOutboxDb, type OutboxDb } from '../outbox-db.js';
import { recordingLogger } from '../recording-logger.js';
import { createTimeline, unhandledNote } from '../timeline.js';
import type { Scenario } from '../types.js';
import { spawnLines, workerEnvironment, type LineProcess, type WorkerConfig } from '../worker.js';
import { fastFailover, realBroker } from './worker-killed.js';

const workerFile = fileURLToPath(new URL('../fixtures/inbox-worker.ts', import.meta.url));

/**
 * Scenario 13: idempotent consumers under a killed worker. Two worker processes
 * (tools/faults/fixtures/inbox-worker.ts) share a group with the PostgreSQL inbox; each handler's
 * effect is a row in an `effects` table, written in the inbox's transaction. One worker holds its
 * third delivery after the inbox committed it and before the acknowledgement, and is SIGKILLed
 * there: the broker delivers that message again to the other worker (RabbitMQ at once, Redis
 * after claimIdleMs 1 s, Kafka after a rebalance), whose inbox must refuse it. N messages
 * (300; quick 60) are sent. Handled and duplicated come from the effect rows the handlers wrote:
 * every message must have one, none two. Recovery: the kill to the redelivery refused.
 */
export const outboxInboxDuplicates: Scenario = {
  name: 'outbox-inbox-duplicates',
  title: 'Worker with the inbox SIGKILLed after its transaction committed, before the ack: the redelivery is refused, 0 duplicate effects',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const broker = realBroker(target.broker, outboxInboxDuplicates.name);
    const total = quick ? 60 : 300;
    const suffix = randomBytes(4).toString('hex');
    const config: WorkerConfig = { broker, url: target.url, topic: `faults-inbox-${suffix}`, group: `faults-inbox-${suffix}`, behaviour: 'work', concurrency: 1, tuning: fastFailover(broker) };
    target.track(config.group, [config.topic]);
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const notes: string[] = [];
    const workers: LineProcess[] = [];
    let db: OutboxDb | undefined;
    let producer: Messaging | undefined;
    let failure: string | undefined;
    let checks = { ok: false, recoveryMs: null as number | null };
    try {
      const opened = (db = await openOutboxDb('inbox', 'CREATE TABLE %s.effects (event_id text NOT NULL, worker text NOT NULL)', log));
      const spawn = (name: string, holdAfter: number): LineProcess => {
        const env = { ...workerEnvironment(config), DATABASE_URL: opened.url, FAULT_TABLE: opened.table, FAULT_NAME: name, FAULT_HOLD_AFTER: String(holdAfter) };
        const worker = spawnLines(name, [workerFile], env);
        worker.onLine((text) => text.startsWith('handled ') && timeline.handled(text.slice(8)));
        workers.push(worker);
        return worker;
      };
      const victim = spawn('inbox-victim', 3);
      const survivor = spawn('inbox-survivor', 0);
      let held: { readonly id: string; readonly at: number } | undefined;
      victim.onLine((text) => {
        const id = /^holding (\S+)$/.exec(text)?.[1];
        if (id === undefined) return;
        victim.child.kill('SIGKILL');
        held = { id, at: Date.now() };
      });
      await Promise.all([victim.waitForLine(/^ready$/, 60_000), survivor.waitForLine(/^ready$/, 60_000)]);

      const sender = (producer = createMessaging({ broker: target.connect({ tuning: { logger: log } }), source: 'eventwire-faults', logger: log }));
      for (let seq = 0; seq < total; seq += 1) {
        const id = `${config.topic}-${seq}`;
        ledger.sent(id);
        await sender.getProducer().send(config.topic, { id }, { key: id, headers: { 'eventwire-id': id } });
        ledger.acknowledged(id);
        timeline.acked(id);
      }
      await timeline.until(() => held !== undefined && timeline.unhandled().length === 0, 120_000, 'every message handled and one held by the killed worker');
      const victimHeld = held ?? { id: '', at: 0 };
      const refused = await survivor.waitForLine(new RegExp(`^duplicate ${victimHeld.id}$`), 120_000);
      await survivor.stop();
      const { rows } = await opened.pool.query(`SELECT event_id, count(*)::int AS n FROM ${opened.schema}.effects GROUP BY event_id`);
      for (const row of rows as { event_id: string; n: number }[]) for (let n = 0; n < row.n; n += 1) ledger.handled(row.event_id);
      const duplicateEffects = (rows as { n: number }[]).reduce((sum, row) => sum + row.n - 1, 0);
      const refusals = survivor.lines.filter((line) => line.text.startsWith('duplicate ')).length;
      notes.push(
        `the victim was killed holding ${victimHeld.id}, its effect committed and unacknowledged; the survivor's inbox refused its redelivery ${refused.at - victimHeld.at} ms after the kill; ` +
          `${refusals} deliveries refused by the inbox in all; effect rows: ${ledger.counts.handledDistinct} messages, ${duplicateEffects} duplicate effects`,
      );
      checks = { ok: duplicateEffects === 0 && refusals > 0, recoveryMs: refused.at - victimHeld.at };
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      notes.push(`failed: ${failure}`, ...unhandledNote(timeline, config.topic));
    } finally {
      await Promise.all(workers.map((worker) => worker.stop()));
      await producer?.close({ timeoutMs: 1_000 }).catch(() => {});
      await db?.drop();
    }
    notes.push(...log.describe());
    return ledger.result(outboxInboxDuplicates.name, target.broker, { recoveryMs: checks.recoveryMs, notes, ok: failure === undefined && checks.ok });
  },
};
