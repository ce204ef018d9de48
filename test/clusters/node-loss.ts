import { readFileSync } from 'node:fs';
import type { Broker } from '../../lib/broker.js';
import { deferred, withTimeout } from '../support/wait.js';

/** What a node-loss run measured: messages acknowledged to publishers, and what the group received. */
export interface LossLedger {
  readonly acknowledged: Set<string>;
  readonly received: Map<string, number>;
  /** Publish attempts that rejected (and were tried again). */
  rejected: number;
  /** Milliseconds from the kill to the first acknowledged publish that began after it. */
  recoveryMs: number | undefined;
}

/** A new, empty ledger. */
export function ledger(): LossLedger {
  return { acknowledged: new Set(), received: new Map(), rejected: 0, recoveryMs: undefined };
}

/**
 * Sends `total` messages (values `m<n>`) to `topic` from `publishers` concurrent loops, each
 * message again until the broker acknowledged it (a rejected attempt waits `retryMs`, the
 * publisher's own back-off). `kill` runs once `killAfter` messages were acknowledged; the time
 * from it to the first acknowledged publish that began after it is the recovery time.
 */
export async function publishThroughLoss(broker: Broker, topic: string, plan: { total: number; publishers: number; killAfter: number; retryMs: number; kill: () => void }, book: LossLedger): Promise<void> {
  let next = 0;
  let killedAt: number | undefined;
  const loop = async (): Promise<void> => {
    for (let n = next++; n < plan.total; n = next++) {
      const value = `m${n}`;
      let began: number;
      for (;;) {
        began = Date.now();
        try {
          await broker.publish(topic, [{ headers: {}, value: Buffer.from(value) }]);
          break;
        } catch {
          book.rejected += 1;
          await new Promise((resolve) => setTimeout(resolve, plan.retryMs));
        }
      }
      book.acknowledged.add(value);
      if (killedAt !== undefined && began > killedAt && book.recoveryMs === undefined) book.recoveryMs = Date.now() - killedAt;
      if (killedAt === undefined && book.acknowledged.size >= plan.killAfter) {
        killedAt = Date.now();
        plan.kill();
      }
    }
  };
  await Promise.all(Array.from({ length: plan.publishers }, loop));
}

/** Records a delivery in the ledger. */
export function receive(book: LossLedger, value: string): void {
  book.received.set(value, (book.received.get(value) ?? 0) + 1);
}

/** Acknowledged messages the group never received. */
export function lost(book: LossLedger): string[] {
  return [...book.acknowledged].filter((value) => !book.received.has(value));
}

/** Deliveries beyond the first, over all messages. */
export function duplicates(book: LossLedger): number {
  let extra = 0;
  for (const count of book.received.values()) extra += count - 1;
  return extra;
}

/**
 * Kills with SIGKILL the process whose pid the file at `pidFile` (under .cache/clusters/) holds,
 * only if its command line contains `marker` (the node's name or folder): a stale pid file must
 * not kill a process that reused the number.
 */
export function killNode(pidFile: string, marker: string): number {
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  if (!command.includes(marker)) throw new Error(`pid ${pid} of ${pidFile} is not the node (${marker}); start the cluster again`);
  process.kill(pid, 'SIGKILL');
  return pid;
}

/** What {@link runFailover} measured, beside its ledger. */
export interface FailoverRun {
  readonly book: LossLedger;
  /** Acknowledged messages never received. */
  readonly missing: string[];
  /** Of those, the ones acknowledged after the kill: a promoted replica must have them all. */
  readonly lostAfterKill: string[];
  /** When, before the kill, the lost messages were acknowledged (`none` without loss). */
  readonly window: string;
  readonly elapsedMs: number;
}

/**
 * A node-loss run on a broker that may lose what its dead primary acknowledged (Redis's
 * asynchronous replication): a group of `open()`'s consumes `topic` at concurrency 20 while 20
 * publishers send `total` messages and `kill` runs after a quarter; then it waits up to 20 s
 * for every acknowledged message, and reports which were lost and when they were acknowledged.
 */
export async function runFailover(open: () => Broker, topic: string, total: number, signal: AbortSignal, kill: () => void): Promise<FailoverRun> {
  const book = ledger();
  const all = deferred();
  await open().subscribe({ groupId: topic, topics: [topic], concurrency: 20, signal }, async (message) => {
    receive(book, message.value.toString());
    if (book.acknowledged.size === total && lost(book).length === 0) all.resolve();
  });
  // When each message was acknowledged, to tell how long before the kill the lost ones were.
  const publisher = open();
  const ackedAt = new Map<string, number>();
  const timed: Broker = { ...publisher, publish: async (to, messages, publishSignal) => {
    await publisher.publish(to, messages, publishSignal);
    for (const message of messages) ackedAt.set(message.value.toString(), Date.now());
  } };
  let killedAt = 0;
  const started = Date.now();
  const progress = setInterval(() => console.log(`      ${Date.now() - started} ms: ${book.acknowledged.size} acknowledged, ${book.received.size} received, ${book.rejected} rejected`), 2000);
  try {
    await publishThroughLoss(timed, topic, { total, publishers: 20, killAfter: total / 4, retryMs: 100, kill: () => {
      killedAt = Date.now();
      kill();
    } }, book);
    // Entries the failover lost are never delivered: wait for the rest, then stop waiting.
    await withTimeout(all.promise, 20_000, 'every acknowledged message').catch(() => undefined);
  } finally {
    clearInterval(progress);
  }
  const missing = lost(book);
  const before = missing.map((value) => killedAt - (ackedAt.get(value) ?? killedAt));
  const window = missing.length === 0 ? 'none' : `acknowledged ${Math.min(...before)}–${Math.max(...before)} ms before the kill`;
  const lostAfterKill = missing.filter((value) => (ackedAt.get(value) ?? 0) > killedAt);
  return { book, missing, lostAfterKill, window, elapsedMs: Date.now() - started };
}
