/**
 * Once a member stops (or the broker closes), how long each XACK still unanswered is awaited
 * before `closed` (or `close()`) settles anyway. A Redis that went silent (a network partition)
 * never answers, and ioredis has no command timeout by default: stopping would hang. An entry
 * whose XACK did not complete stays pending and is delivered again, as after a crash.
 */
export const STOP_ACK_WAIT_MS = 3000;

/** The one command the ack batcher sends; an ioredis client has it. */
export interface AckClient {
  xack(key: string, group: string, ...ids: string[]): Promise<unknown>;
}

/** What the ack batcher tells its member. */
export interface AckHooks {
  /** The XACK of `ids` was answered, or failed: the member may let go of those entries. */
  answered(topic: string, ids: readonly string[]): void;
  /** The XACK of `ids` failed: the entries stay pending and are delivered again. */
  failed(topic: string, ids: readonly string[], error: unknown): void;
  /** An XACK left the set of those awaited ({@link AckBatcher.idle} may have turned true). */
  changed(): void;
}

/**
 * The XACKs of one member's consumer group. The entries handled in one event-loop turn are
 * acknowledged together at its end (setImmediate), one `XACK topic group id…` per topic, sent
 * without waiting for the reply: one command per entry cost a socket write each. After stop(),
 * each XACK's reply is awaited at most `stopWaitMs` from then (or from its sending).
 *
 * @example
 * const acks = new AckBatcher(redis, 'billing', { answered: (topic, ids) => release(topic, ids), failed: log, changed: settle });
 * acks.add('orders', '1700000000000-0');
 */
export class AckBatcher {
  readonly #client: AckClient;
  readonly #group: string;
  readonly #hooks: AckHooks;
  readonly #stopWaitMs: number;
  /** Ids handled in this event-loop turn, per topic: their XACK goes out at its end. */
  readonly #queued = new Map<string, string[]>();
  /** XACKs sent whose reply has not arrived (nor been given up on). */
  readonly #sent = new Set<Promise<void>>();
  #stopped = false;

  constructor(client: AckClient, group: string, hooks: AckHooks, stopWaitMs = STOP_ACK_WAIT_MS) {
    this.#client = client;
    this.#group = group;
    this.#hooks = hooks;
    this.#stopWaitMs = stopWaitMs;
  }

  /** True when no XACK is queued nor awaited. */
  get idle(): boolean {
    return this.#sent.size === 0 && this.#queued.size === 0;
  }

  /** Queues the XACK of entry `id` of `topic`, sent at the end of this event-loop turn. */
  add(topic: string, id: string): void {
    const queued = this.#queued.get(topic);
    if (queued !== undefined) return void queued.push(id);
    if (this.#queued.size === 0) setImmediate(() => this.#send());
    this.#queued.set(topic, [id]);
  }

  /** From now on, each XACK is awaited for at most `stopWaitMs`; queued ones are still sent. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const ack of this.#sent) this.#giveUpLater(ack);
  }

  #send(): void {
    for (const [topic, ids] of this.#queued) {
      const ack: Promise<void> = this.#client
        .xack(topic, this.#group, ...ids)
        .then(
          () => {},
          (error: unknown) => this.#hooks.failed(topic, ids, error),
        )
        .finally(() => {
          this.#hooks.answered(topic, ids);
          this.#sent.delete(ack);
          this.#hooks.changed();
        });
      this.#sent.add(ack);
      if (this.#stopped) this.#giveUpLater(ack);
    }
    this.#queued.clear();
  }

  #giveUpLater(ack: Promise<void>): void {
    setTimeout(() => this.#sent.delete(ack) && this.#hooks.changed(), this.#stopWaitMs).unref();
  }
}
