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

  /** Queues the XACK of entry `id` of `topic`, sent at the end of this event-loop turn (or before, {@link flush}). */
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

  /**
   * Sends the queued XACKs now rather than at the turn's end. The read loop calls it right
   * before each XREADGROUP: Redis then answers both at about the same time, in one wake-up of
   * this process, where an XACK sent after the read is answered apart (one more wake-up each).
   */
  flush(): void {
    if (this.#queued.size > 0) this.#send();
  }

  #send(): void {
    for (const [topic, ids] of this.#queued) this.#track(topic, ids, this.#client.xack(topic, this.#group, ...ids));
    this.#queued.clear();
  }

  /** Awaits the reply to the XACK of `ids` (`reply`), or gives up on it after stop(). */
  #track(topic: string, ids: string[], reply: Promise<unknown>): void {
    // One reaction for both outcomes: a reply to an XACK is always the end of waiting for it.
    const ack: Promise<void> = reply.then(
      () => this.#answered(topic, ids, ack),
      (error: unknown) => {
        try {
          this.#hooks.failed(topic, ids, error);
        } finally {
          this.#answered(topic, ids, ack);
        }
      },
    );
    this.#sent.add(ack);
    if (this.#stopped) this.#giveUpLater(ack);
  }

  #answered(topic: string, ids: readonly string[], ack: Promise<void>): void {
    this.#hooks.answered(topic, ids);
    this.#sent.delete(ack);
    this.#hooks.changed();
  }

  #giveUpLater(ack: Promise<void>): void {
    setTimeout(() => this.#sent.delete(ack) && this.#hooks.changed(), this.#stopWaitMs).unref();
  }
}
