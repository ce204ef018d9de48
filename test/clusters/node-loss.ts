import { readFileSync } from 'node:fs';
import type { Broker } from '../../lib/broker.js';

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
