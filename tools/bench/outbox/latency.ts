import type { MemoryServer } from 'eventwire/memory';
import { eventwireMessaging } from '../eventwire.js';
import { sendMany } from '../measure.js';
import { median } from '../report.js';
import { bindForSend } from '../raw/index.js';
import type { BrokerId } from '../types.js';
import { inTransaction, type BenchDb } from './db.js';
import type { LatencyResult } from './types.js';
import { reason, until } from './waits.js';

/**
 * Commit → handled: a consumer (`messageHandler`, concurrency 16) and one relay (defaults: batch
 * 100, woken by LISTEN/NOTIFY) run; events are staged each in its own transaction, paced at
 * `rate` per second for `seconds`, on up to 16 connections. Each event's latency is the time from
 * its COMMIT's reply to its handler's start, on one clock (one process).
 */

const stagers = 16;

/** The `percentile` (0 to 1) of sorted values, nearest rank. */
export function percentile(sorted: readonly number[], fraction: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}

interface Clocks {
  readonly committed: Map<number, number>;
  readonly handled: Map<number, number>;
}

const stageOne = (db: BenchDb, topic: string, seq: number): Promise<void> =>
  inTransaction(db.pool, async (client) => {
    await db.outbox.stage(client, 'bench.latency', { seq }, { topic });
  });

/** Stages warm-up events (negative seq) until one is handled: the consumer is positioned. */
async function warmUp(db: BenchDb, topic: string, clocks: Clocks): Promise<void> {
  const warmed = (): boolean => [...clocks.handled.keys()].some((seq) => seq < 0);
  for (let attempt = 1; attempt <= 60 && !warmed(); attempt += 1) {
    await stageOne(db, topic, -attempt);
    await until(warmed, 1, () => 'a warm-up event', 5).catch(() => {});
  }
  if (!warmed()) throw new Error('no warm-up event reached the consumer within 60 s');
}

/** Stages `total` events paced at `rate` per second; resolves with the rate reached. */
async function paced(db: BenchDb, topic: string, total: number, rate: number, clocks: Clocks): Promise<number> {
  const started = performance.now();
  await sendMany(total, stagers, async (seq) => {
    const due = started + (seq * 1000) / rate - performance.now();
    if (due > 0) await new Promise((resolve) => setTimeout(resolve, due));
    await stageOne(db, topic, seq);
    clocks.committed.set(seq, performance.now());
  });
  return total / ((performance.now() - started) / 1000);
}

/** One broker's latency; a failure is recorded, never thrown. */
export async function measureLatency(db: BenchDb, broker: BrokerId, name: string, rate: number, seconds: number, server: MemoryServer): Promise<LatencyResult> {
  const total = Math.round(rate * seconds);
  const clocks: Clocks = { committed: new Map(), handled: new Map() };
  const messaging = eventwireMessaging({ broker }, server);
  try {
    if (broker === 'kafka') await bindForSend(broker, name, `${name}.q`);
    const consumer = messaging.messageHandler({ topic: name, groupId: `${name}-g`, concurrency: 16 }, async (message) => {
      const { seq } = (message as { data: { seq: number } }).data;
      if (!clocks.handled.has(seq)) clocks.handled.set(seq, performance.now());
    });
    await consumer.start();
    const relay = db.outbox.startRelay({ messaging });
    try {
      await warmUp(db, name, clocks);
      const reached = await paced(db, name, total, rate, clocks);
      const count = (): number => [...clocks.handled.keys()].filter((seq) => seq >= 0).length;
      await until(() => count() >= total, 60, () => `handling ${total} events (handled ${count()})`, 5);
      const latencies = [...clocks.committed].map(([seq, at]) => (clocks.handled.get(seq) ?? at) - at).sort((a, b) => a - b);
      return { broker, events: total, rate: reached, p50Ms: median(latencies), p99Ms: percentile(latencies, 0.99) };
    } finally {
      await relay.stop();
    }
  } catch (error) {
    return { broker, events: total, error: reason(error) };
  } finally {
    await messaging.close();
    await db.pool.query(`DELETE FROM ${db.outbox.table}`).catch(() => {});
  }
}
