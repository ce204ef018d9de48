import type { Consumer } from 'kafkajs';

/**
 * Redeliveries below the retry layer: a partition whose callback rejected is rewound to the
 * message and paused for `delayMs`, then resumed if the member still runs. When kafkajs is
 * restarting after a crash, seek and pause throw; the restarted consumer resumes from the
 * committed offset anyway, unpaused.
 *
 * @example
 * const pauses = new PartitionPauses(() => session?.consumer, 1000);
 * pauses.redeliverLater('orders', 0, '41', () => state === 'running');
 */
export class PartitionPauses {
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #consumer: () => Consumer | undefined;
  readonly #delayMs: number;

  constructor(consumer: () => Consumer | undefined, delayMs: number) {
    this.#consumer = consumer;
    this.#delayMs = delayMs;
  }

  /** Rewinds `partition` to `offset`, pauses it, and resumes it after the delay when `resume()` says so. */
  redeliverLater(topic: string, partition: number, offset: string, resume: () => boolean): void {
    const partitions = [{ topic, partitions: [partition] }];
    const consumer = this.#consumer();
    try {
      consumer?.seek({ topic, partition, offset });
      consumer?.pause(partitions);
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      try {
        if (resume()) this.#consumer()?.resume(partitions);
      } catch {
        // restarting, see above
      }
    }, this.#delayMs);
    this.#timers.add(timer);
  }

  /** Cancels every pending resume (the member stops). */
  clear(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
