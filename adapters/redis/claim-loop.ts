import type { RawEntry } from './codec.js';

/** The commands the claim loop sends; an ioredis client has them. */
export interface ClaimClient {
  xclaim(key: string, group: string, consumer: string, minIdleTime: number, ...idsAndJustId: string[]): Promise<unknown>;
  callBuffer(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** Who claims, and what: a consumer of a group, on its topics. */
export interface Claimant {
  readonly group: string;
  readonly consumer: string;
  readonly topics: readonly string[];
  /** An entry pending this long with another consumer is taken over. */
  readonly claimIdleMs: number;
}

/** What the claim loop asks of its member. */
export interface ClaimHooks {
  /** The entries the member holds now: their idle time is reset on every tick. */
  held(): Iterable<{ readonly topic: string; readonly id: string }>;
  /** How many entries to claim now; 0 or less (say, once stopped) ends the tick. */
  room(): number;
  /** Takes in the entries claimed from `topic` (pending ones: their delivery counts are asked for). */
  ingest(topic: string, entries: RawEntry[]): Promise<void>;
  /** A tick failed; the next one tries again. */
  failed(error: unknown): void;
}

/**
 * The heartbeat and takeover of one member, every `tickMs` with one tick at a time. The
 * heartbeat (XCLAIM … JUSTID to itself) resets the idle time of every entry the member holds,
 * so that a callback running longer than `claimIdleMs` is not taken over by another member;
 * JUSTID leaves the delivery counter unchanged. The takeover (XAUTOCLAIM) takes entries that
 * stayed pending longer than `claimIdleMs` with a member that died, resuming each topic's scan
 * where the previous tick left it.
 *
 * @example
 * const claims = new ClaimLoop(redis, { group, consumer, topics, claimIdleMs: 30_000 }, hooks);
 * claims.start(15_000); // … claims.stop();
 */
export class ClaimLoop {
  readonly #client: ClaimClient;
  readonly #claimant: Claimant;
  readonly #hooks: ClaimHooks;
  /** Per topic, where the next XAUTOCLAIM scan starts. */
  readonly #cursors: Map<string, string>;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;

  constructor(client: ClaimClient, claimant: Claimant, hooks: ClaimHooks) {
    this.#client = client;
    this.#claimant = claimant;
    this.#hooks = hooks;
    this.#cursors = new Map(claimant.topics.map((topic) => [topic, '0-0']));
  }

  /** Ticks every `tickMs` (the timer does not keep the process alive); a tick still running skips the next. */
  start(tickMs: number): void {
    this.#timer ??= setInterval(() => {
      if (this.#ticking) return;
      this.#ticking = true;
      this.tick()
        .catch((error: unknown) => this.#hooks.failed(error))
        .finally(() => (this.#ticking = false));
    }, tickMs);
    this.#timer.unref();
  }

  /** No further ticks; one running goes on to its end. */
  stop(): void {
    clearInterval(this.#timer);
  }

  /** One heartbeat and takeover round; rejects with the first command that failed. */
  async tick(): Promise<void> {
    const { group, consumer, topics, claimIdleMs } = this.#claimant;
    const byTopic = new Map<string, string[]>();
    for (const { topic, id } of this.#hooks.held()) byTopic.set(topic, [...(byTopic.get(topic) ?? []), id]);
    for (const [topic, ids] of byTopic) await this.#client.xclaim(topic, group, consumer, 0, ...ids, 'JUSTID');
    for (const topic of topics) {
      const room = this.#hooks.room();
      if (room <= 0) return;
      const cursor = this.#cursors.get(topic) ?? '0-0';
      const reply = await this.#client.callBuffer('XAUTOCLAIM', topic, group, consumer, claimIdleMs, cursor, 'COUNT', room);
      const [next, entries] = reply as [Buffer, RawEntry[]];
      this.#cursors.set(topic, next.toString());
      await this.#hooks.ingest(topic, entries);
    }
  }
}
