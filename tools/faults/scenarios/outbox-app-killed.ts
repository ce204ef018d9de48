import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createLedger } from '../ledger.js';
import { startGroup, type Group } from '../load.js';
import { openOutboxDb, outboxEnvironment, outboxMessage, type OutboxDb } from '../outbox-db.js';
import { recordingLogger } from '../recording-logger.js';
import { createTimeline, unhandledNote } from '../timeline.js';
import type { Scenario } from '../types.js';
import { spawnLines, type LineProcess } from '../worker.js';

const appFile = fileURLToPath(new URL('../fixtures/outbox-app.ts', import.meta.url));

/**
 * Scenario 10: the application process is SIGKILLed right after a transaction committed, before
 * its relay published the events. The app (tools/faults/fixtures/outbox-app.ts, its own relay
 * inside) writes an order and stages its event per transaction, 4 at a time, rolling every fifth
 * back on purpose; it is killed the moment its COMMIT number N/2 returned (N = 2,000; quick 300).
 * The events committed and not yet published at that moment wait in the table (at least one
 * must, or the gap was not hit); a restarted app (with its relay, and 20 fresh transactions)
 * must publish every one. Acknowledged = the orders in the table (a COMMIT whose reply the kill
 * cut is committed all the same); handled = by a group of 2 consumers. Rolled-back transactions
 * must publish nothing.
 */
export const outboxAppKilled: Scenario = {
  name: 'outbox-app-killed',
  title: 'App SIGKILLed after COMMIT, before its relay published: every committed event handled after a restart, rolled-back ones never',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const total = quick ? 300 : 2_000;
    const id = randomUUID().slice(0, 8);
    const topic = `faults-outbox-app-${id}`;
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const handledAt = new Map<string, number>();
    const apps: LineProcess[] = [];
    const notes: string[] = [];
    let db: OutboxDb | undefined;
    let group: Group | undefined;
    let failure: string | undefined;
    let checks = { ok: false, recoveryMs: null as number | null };
    try {
      db = await openOutboxDb('app_killed', 'CREATE TABLE %s.orders (id text PRIMARY KEY)', log);
      const work = async (message: { id: string }): Promise<void> => void handledAt.set(message.id, Date.now());
      group = await startGroup({ target, members: 2, topic, groupId: topic, ledger, timeline, logger: log, decode: outboxMessage, work });
      const env = { ...outboxEnvironment(target, db), FAULT_TABLE: db.table, FAULT_TOPIC: topic, FAULT_CONCURRENCY: '4' };
      const spawnApp = (name: string, count: number): LineProcess => {
        const app = spawnLines(name, [appFile], { ...env, FAULT_PREFIX: `${id}-${name}`, FAULT_COUNT: String(count) });
        app.onLine((text) => text.startsWith('begin ') && ledger.sent(text.slice(6)));
        apps.push(app);
        return app;
      };

      const first = spawnApp('first', total);
      let commits = 0;
      let killedAt = 0;
      first.onLine((text) => {
        if (!text.startsWith('committed ') || (commits += 1) < total / 2 || killedAt !== 0) return;
        killedAt = Date.now();
        first.child.kill('SIGKILL');
      });
      const exit = await first.exited;
      if (killedAt === 0) throw new Error(`the app exited (${exit.code ?? exit.signal}) before it was killed`);
      const waiting = await waitingIds(db);
      await acknowledgeOrders(db, ledger, timeline);
      const committedLines = lineIds(first, 'committed');
      const rolledBack = lineIds(first, 'rolledback');
      const committed = await orderIds(db);
      notes.push(
        `app killed after ${commits} COMMITs returned (${rolledBack.length} transactions rolled back on purpose, ${ledger.counts.acknowledged} orders committed); ` +
          `${waiting.length} committed events were still in the outbox table, ${ledger.counts.handledDistinct} handled before the restart`,
      );

      const restartedAt = Date.now();
      const second = spawnApp('second', 20);
      const ready = (await second.waitForLine(/^ready$/, 60_000)).at;
      await second.waitForLine(/^done$/, 60_000);
      await acknowledgeOrders(db, ledger, timeline);
      await ledger.settled(quick ? 60_000 : 120_000);
      await second.stop();
      const left = await db.pending();
      const recovery = waiting.length === 0 ? null : Math.max(...waiting.map((waited) => handledAt.get(waited) ?? Number.NaN)) - ready;
      const published = rolledBack.filter((rolled) => handledAt.has(rolled));
      const unknown = committedLines.filter((line) => !committed.has(line));
      notes.push(
        `restarted app ready ${ready - restartedAt} ms after its start; the events waiting at the kill were all handled ${recovery ?? '–'} ms after that; ` +
          `rolled-back transactions whose event was handled: ${published.length}; rows left in the table at the end: ${left}`,
      );
      if (waiting.length === 0) notes.push('no committed event was waiting at the kill: the gap was not hit');
      if (unknown.length > 0) notes.push(`${unknown.length} ids reported committed are not in the orders table, e.g. ${unknown[0]}`);
      checks = { ok: waiting.length > 0 && published.length === 0 && unknown.length === 0 && left === 0, recoveryMs: recovery };
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      notes.push(`failed: ${failure}`, ...unhandledNote(timeline, topic));
    } finally {
      await Promise.all(apps.map((app) => app.stop()));
      await group?.stop();
      await db?.drop();
    }
    notes.push(...log.describe());
    return ledger.result(outboxAppKilled.name, target.broker, { recoveryMs: checks.recoveryMs, notes, ok: failure === undefined && checks.ok });
  },
};

/** The order ids `app` wrote a `<kind> <id>` line for. */
function lineIds(app: LineProcess, kind: string): string[] {
  return app.lines.flatMap((line) => (line.text.startsWith(`${kind} `) ? [line.text.slice(kind.length + 1)] : []));
}

async function orderIds(db: OutboxDb): Promise<Set<string>> {
  const { rows } = await db.pool.query(`SELECT id FROM ${db.schema}.orders`);
  return new Set((rows as { id: string }[]).map((row) => row.id));
}

/** Every committed order is an acknowledged message: its event must be handled. */
async function acknowledgeOrders(db: OutboxDb, ledger: ReturnType<typeof createLedger>, timeline: ReturnType<typeof createTimeline>): Promise<void> {
  for (const order of await orderIds(db)) {
    ledger.acknowledged(order);
    timeline.acked(order);
  }
}

/** The order ids whose events are still in the outbox table. */
async function waitingIds(db: OutboxDb): Promise<string[]> {
  const { rows } = await db.pool.query(`SELECT payload->'data'->>'id' AS id FROM ${db.table}`);
  return (rows as { id: string }[]).map((row) => row.id);
}
