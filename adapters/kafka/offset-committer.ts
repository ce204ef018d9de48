/** An offset to commit: the next one to read in a partition. */
export interface CommitOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/**
 * Offset commits of one member, coalesced: the latest handled offset of each partition is sent
 * in the background, with one OffsetCommit in flight (two at a rebalance, see {@link sendNow});
 * what is handled meanwhile waits and goes in the next one, so a callback never waits for a
 * commit. The offsets of one partition are sent in the order they were handled. A failed commit
 * is reported to `failed` and not retried: its messages go again to the partition's next owner.
 *
 * @example
 * const committer = new OffsetCommitter((offsets) => consumer.commitOffsets(offsets), (offsets, error) => log(error));
 * committer.handled('orders', 0, '41'); await committer.flush();
 */
export class OffsetCommitter {
  /** Per topic, per partition: the offset of the latest handled message not yet sent. */
  readonly #pending = new Map<string, Map<number, string>>();
  readonly #sending = new Set<Promise<void>>();
  #loop: Promise<void> | undefined;
  readonly #commit: (offsets: CommitOffset[]) => Promise<void>;
  readonly #failed: (offsets: CommitOffset[], error: unknown) => void;

  constructor(commit: (offsets: CommitOffset[]) => Promise<void>, failed: (offsets: CommitOffset[], error: unknown) => void) {
    this.#commit = commit;
    this.#failed = failed;
  }

  /** True while handled offsets wait to be sent. */
  get pending(): boolean {
    return this.#pending.size > 0;
  }

  /** The message at `offset` was handled: its successor is committed soon. */
  handled(topic: string, partition: number, offset: string): void {
    const partitions = this.#pending.get(topic);
    if (partitions === undefined) this.#pending.set(topic, new Map([[partition, offset]]));
    else partitions.set(partition, offset);
    this.#loop ??= (async () => {
      try {
        while (this.#pending.size > 0) await this.sendNow();
      } finally {
        this.#loop = undefined;
      }
    })();
  }

  /**
   * Sends what is pending at once, beside a commit in flight: at a rebalance kafkajs rejoins right
   * away, and what was handled must reach the coordinator in the generation that is ending.
   */
  sendNow(): Promise<void> {
    // Kafka wants the offset of the next message to read: one past the last handled.
    const offsets: CommitOffset[] = [];
    for (const [topic, partitions] of this.#pending) {
      for (const [partition, offset] of partitions) offsets.push({ topic, partition, offset: (BigInt(offset) + 1n).toString() });
    }
    this.#pending.clear();
    const sent: Promise<void> = this.#commit(offsets)
      .catch((error: unknown) => this.#failed(offsets, error))
      .finally(() => this.#sending.delete(sent));
    this.#sending.add(sent);
    return sent;
  }

  /** Resolves once every offset recorded so far was committed, or its commit failed. */
  async flush(): Promise<void> {
    while (this.#loop !== undefined || this.#sending.size > 0) await Promise.all([this.#loop, ...this.#sending]);
  }
}
