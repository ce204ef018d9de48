import type { FaultBroker, ScenarioResult } from './types.js';

/**
 * Bookkeeping shared by the fault scenarios: which message ids were sent, acknowledged, handled
 * (and how often), and dead-lettered. Lost = acknowledged but neither handled nor dead-lettered.
 *
 * @example
 * const ledger = createLedger(); ledger.sent(id); await send(); ledger.acknowledged(id);
 */
export interface Ledger {
  sent(id: string): void;
  acknowledged(id: string): void;
  handled(id: string): void;
  deadLettered(id: string): void;
  readonly counts: { readonly acknowledged: number; readonly handledDistinct: number; readonly deadLettered: number };
  /** Resolves once every acknowledged id was handled or dead-lettered, or rejects after `ms`. */
  settled(ms: number): Promise<void>;
  result(scenario: string, broker: FaultBroker, extra: { recoveryMs: number | null; notes?: string[]; ok?: boolean }): ScenarioResult;
}

/** Creates a {@link Ledger}. */
export function createLedger(): Ledger {
  let sends = 0;
  const acked = new Set<string>();
  const handledCounts = new Map<string, number>();
  const dead = new Set<string>();
  let waiter: (() => void) | undefined;

  const outstanding = (): number => [...acked].filter((id) => !handledCounts.has(id) && !dead.has(id)).length;
  const check = (): void => {
    if (waiter !== undefined && outstanding() === 0) waiter();
  };

  return {
    sent: () => void (sends += 1),
    acknowledged(id) {
      acked.add(id);
    },
    handled(id) {
      handledCounts.set(id, (handledCounts.get(id) ?? 0) + 1);
      check();
    },
    deadLettered(id) {
      dead.add(id);
      check();
    },
    get counts() {
      return { acknowledged: acked.size, handledDistinct: handledCounts.size, deadLettered: dead.size };
    },
    settled(ms) {
      if (outstanding() === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`${outstanding()} acknowledged messages still unhandled after ${ms} ms`));
        }, ms);
        waiter = () => {
          clearTimeout(timer);
          waiter = undefined;
          resolve();
        };
      });
    },
    result(scenario, broker, extra) {
      const lost = outstanding();
      const duplicated = [...handledCounts.values()].reduce((sum, n) => sum + n - 1, 0);
      return {
        scenario,
        broker,
        sent: sends,
        acknowledged: acked.size,
        handled: [...acked].filter((id) => handledCounts.has(id)).length,
        deadLettered: [...acked].filter((id) => dead.has(id)).length,
        lost,
        duplicated,
        recoveryMs: extra.recoveryMs,
        notes: extra.notes ?? [],
        ok: lost === 0 && (extra.ok ?? true),
      };
    },
  };
}
