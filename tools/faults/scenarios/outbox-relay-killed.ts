import { randomUUID } from 'node:crypto';
import { createLedger } from '../ledger.js';
import { startGroup, startPublishers, type Group } from '../load.js';
import { faultEventName, inTransaction, openOutboxDb, outboxMessage, spawnRelay, type OutboxDb } from '../outbox-db.js';
import { recordingLogger } from '../recording-logger.js';
import { within } from '../restart-watch.js';
import { createTimeline, unhandledNote, type TestMessage } from '../timeline.js';
import type { Scenario } from '../types.js';
import type { LineProcess } from '../worker.js';

const keys = 20;
const keyOf = (seq: number): string => `k${seq % keys}`;

/**
 * Scenario 11: two relays (`eventwire outbox relay`, batches of 50) share one outbox table; one
 * is SIGKILLed while it is inside a batch (its transaction open in pg_stat_activity: rows claimed,
 * publishes in flight) once a third of N events were handled (N = 5,000; quick 1,000). The
 * events are staged one transaction after the other over 20 keys, so each key's order is
 * defined; one consumer handles them one at a time, so the handled sequence is the broker's. The
 * survivor must publish everything; what the killed relay published but could not delete comes
 * again (duplicates, counted). Per-key order: no event is handled for the first time before an
 * earlier event of its key was. Recovery: the kill to the first event staged after it handled.
 */
export const outboxRelayKilled: Scenario = {
  name: 'outbox-relay-killed',
  title: 'One of two relays SIGKILLed mid-batch: nothing lost, duplicates counted, order per key kept',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const total = quick ? 1_000 : 5_000;
    const id = randomUUID().slice(0, 8);
    const topic = `faults-outbox-relay-${id}`;
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const order = keyOrder();
    const relays: LineProcess[] = [];
    const notes: string[] = [];
    let db: OutboxDb | undefined;
    let group: Group | undefined;
    let failure: string | undefined;
    let ok = false;
    let recoveryMs: number | null = null;
    try {
      const opened = (db = await openOutboxDb('relay_killed', '', log));
      // One consumer, one message at a time: it handles them in the order the broker delivers.
      const work = async (message: TestMessage, messageId: string | undefined): Promise<void> => order.record(message, messageId);
      group = await startGroup({ target, members: 1, concurrency: 1, topic, groupId: topic, ledger, timeline, logger: log, decode: outboxMessage, work });
      const victim = await spawnRelay('relay-a', target, { ...opened, url: named(opened.url, 'relay_a') }, 50);
      relays.push(victim, await spawnRelay('relay-b', target, { ...opened, url: named(opened.url, 'relay_b') }, 50));
      const publishers = startPublishers({
        send: (message) => inTransaction(opened.pool, (client) => opened.outbox.stage(client, faultEventName, message, { topic, key: keyOf(message.seq) })),
        ledger,
        timeline,
        count: total,
        concurrency: 1,
      });
      await timeline.until(() => ledger.counts.handledDistinct >= total / 3, 120_000, 'a third of the events to be handled');
      const seenInBatch = await waitInBatch(opened, 'relay_a', () => victim.child.kill('SIGKILL'));
      const killedAt = Date.now();
      const handledAtKill = ledger.counts.handledDistinct;
      await victim.exited;
      const waiting = await opened.pending();
      await within(publishers.done, 120_000, 'every event to be staged');
      await ledger.settled(120_000);
      await Promise.all(relays.map((relay) => relay.stop()));
      const left = await opened.pending();
      notes.push(
        `relay-a killed ${killedAt - seenInBatch} ms after pg_stat_activity showed it inside a batch transaction, ` +
          `${handledAtKill} of ${total} handled, ${waiting} rows in the table; relay-b published the rest; rows left at the end: ${left}`,
        ...order.describe(),
        ...publishers.describe(),
        ...relays.flatMap(relayComplaints),
      );
      recoveryMs = timeline.firstFreshHandledAfter(killedAt) ?? null;
      ok = order.violations.length === 0 && left === 0 && publishers.unacknowledged === 0 && recoveryMs !== null;
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      notes.push(`failed: ${failure}`, ...unhandledNote(timeline, topic));
    } finally {
      await Promise.all(relays.map((relay) => relay.stop()));
      await group?.stop();
      await db?.drop();
    }
    notes.push(...log.describe());
    return ledger.result(outboxRelayKilled.name, target.broker, { recoveryMs, notes, ok: failure === undefined && ok });
  },
};

/** What a relay wrote on stderr besides its start and stop lines (warnings, errors), for the notes. */
function relayComplaints(relay: LineProcess): string[] {
  const lines = relay.stderr.map((line) => line.text).filter((text) => !/^eventwire: (relaying|received|stopped|the relay)/.test(text));
  return lines.length === 0 ? [] : [`${relay.name} wrote ${lines.length} other stderr lines, e.g.: ${lines.slice(0, 3).join(' | ')}`];
}

/** `url` with an `application_name`, by which pg_stat_activity tells the relays apart. */
function named(url: string, name: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('application_name', name);
  return parsed.toString();
}

/**
 * Calls `then` as soon as a connection named `name` is seen with a transaction open past its
 * BEGIN (a relay's batch: rows claimed and locked while it publishes them); resolves with when
 * it was seen.
 */
async function waitInBatch(db: OutboxDb, name: string, then: () => void): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const { rows } = await db.pool.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1 AND state = 'idle in transaction' AND query <> 'BEGIN'`, [name]);
    if (Number((rows[0] as { n: string }).n) > 0) {
      const seen = Date.now();
      then();
      return seen;
    }
  }
  throw new Error(`${name} was never seen inside a batch transaction within 30 s`);
}

/**
 * Per-key order in the handled sequence: each event handled for the first time must come after
 * the first handling of every earlier event of its key (duplicates of earlier ones may follow).
 */
function keyOrder() {
  const firstSeen = new Set<string>();
  /** Per key: the latest seq handled for the first time, and where it came from (ctx.messageId). */
  const latest = new Map<string, { readonly seq: number; readonly from: string | undefined }>();
  const violations: string[] = [];
  let duplicates = 0;
  return {
    violations,
    record(message: TestMessage, from: string | undefined): void {
      if (firstSeen.has(message.id)) {
        duplicates += 1;
        return;
      }
      firstSeen.add(message.id);
      const key = keyOf(message.seq);
      const before = latest.get(key);
      if (before !== undefined && message.seq < before.seq) violations.push(`${key}: seq ${message.seq} (message ${from}) first handled after seq ${before.seq} (message ${before.from})`);
      else latest.set(key, { seq: message.seq, from });
    },
    describe(): string[] {
      const head = `order per key (${keys} keys, one consumer): ${violations.length === 0 ? 'kept' : `${violations.length} events out of order`}; ${duplicates} duplicate deliveries`;
      return violations.length === 0 ? [head] : [head, ...violations.slice(0, 5)];
    },
  };
}
