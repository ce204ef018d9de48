/** What each test message carries: its ledger id and its sequence number. */
export interface TestMessage {
  readonly id: string;
  readonly seq: number;
}

/**
 * When things happened: send attempts, acknowledgements, handled messages. Waiting on it is
 * event-based: `until` re-checks its condition on every recorded event.
 */
export interface Timeline {
  attempt(id: string): void;
  acked(id: string): void;
  handled(id: string): void;
  /** Acknowledged ids not handled yet (dead letters aside), for the notes of a failed run. */
  unhandled(): string[];
  /** Re-checks waiters (for conditions on state the timeline does not record). */
  poke(): void;
  /** Milliseconds from `t` to the first acknowledgement at or after it. */
  firstAckAfter(t: number): number | undefined;
  /** Milliseconds from `t` to the first handled message whose (last) send attempt began at or after `t`. */
  firstFreshHandledAfter(t: number): number | undefined;
  /** Resolves once `condition()` holds, re-checked on every event; rejects after `ms`. */
  until(condition: () => boolean, ms: number, what: string): Promise<void>;
}

/**
 * Creates a {@link Timeline}.
 *
 * @example
 * const timeline = createTimeline(); await timeline.until(() => ledger.counts.acknowledged > 10, 5000, '10 acks');
 */
export function createTimeline(): Timeline {
  const attempts = new Map<string, number>();
  const ackedIds = new Set<string>();
  const handledIds = new Set<string>();
  const acks: number[] = [];
  const handles: { at: number; attempt: number }[] = [];
  const watchers = new Set<() => void>();
  const poke = (): void => {
    for (const watcher of [...watchers]) watcher();
  };
  return {
    attempt(id) {
      attempts.set(id, Date.now());
    },
    acked(id) {
      ackedIds.add(id);
      acks.push(Date.now());
      poke();
    },
    handled(id) {
      handledIds.add(id);
      handles.push({ at: Date.now(), attempt: attempts.get(id) ?? 0 });
      poke();
    },
    unhandled: () => [...ackedIds].filter((id) => !handledIds.has(id)),
    poke,
    firstAckAfter(t) {
      const at = acks.find((time) => time >= t);
      return at === undefined ? undefined : at - t;
    },
    firstFreshHandledAfter(t) {
      const at = handles.find((handle) => handle.attempt >= t && handle.at >= t)?.at;
      return at === undefined ? undefined : at - t;
    },
    until(condition, ms, what) {
      if (condition()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`Timed out after ${ms} ms waiting for ${what}`));
        }, ms);
        const check = (): void => {
          if (!condition()) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
      });
    },
  };
}

/** Names what is missing, to look for it on the broker. */
export function unhandledNote(timeline: Timeline, topic: string): string[] {
  const missing = timeline.unhandled();
  if (missing.length === 0) return [];
  return [`topic ${topic}: ${missing.length} acknowledged but unhandled, e.g. ${missing.slice(0, 5).join(', ')}`];
}
