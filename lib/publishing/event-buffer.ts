import type { OutgoingMessage } from '../broker.js';
import type { Logger } from '../config/logger.js';
import type { MessagingStats } from '../stats.js';

/**
 * The fire-and-forget path behind `eventMiddleware` and `emitEvent`: events are queued in a
 * bounded buffer and published in the background, batched per topic, in order. While the broker
 * is down the buffer holds them and retries with backoff; when it is full new events are
 * refused and counted; at close whatever could not be sent is reported. Never silent.
 */
export interface EventBuffer {
  /** Queues an event; false when the buffer is full (the event is counted as dropped). */
  push(topic: string, message: OutgoingMessage): boolean;
  /** Waits until everything queued was acknowledged, or `timeoutMs` passed; returns what is left. */
  flush(timeoutMs: number): Promise<number>;
  /**
   * Stops retrying, counts what is left as dropped, and returns those messages (the batch in
   * flight included), so that the caller can end what it started for them.
   */
  abandon(): readonly OutgoingMessage[];
}

interface Pending {
  readonly topic: string;
  readonly message: OutgoingMessage;
}

/** What the buffer needs: where to publish, a limit, and where to report. */
export interface EventBufferDeps {
  readonly limit: number;
  readonly logger: Logger;
  readonly stats: MessagingStats;
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

const maxBatch = 500;
const firstBackoffMs = 100;
const maxBackoffMs = 5_000;

/**
 * Creates a buffer.
 *
 * @example
 * const buffer = createEventBuffer({ limit: 10_000, logger, stats, publish: publisher.publish });
 */
export function createEventBuffer(deps: EventBufferDeps): EventBuffer {
  const queue: Pending[] = [];
  let draining: Promise<void> | undefined;
  let abandoned = false;
  let lastDropLog = 0;
  let wake: (() => void) | undefined;

  const sync = (): void => {
    deps.stats.eventsBuffered = queue.length;
  };

  const publishBatch = async (batch: readonly Pending[]): Promise<void> => {
    const topic = (batch[0] as Pending).topic;
    // Usually every event of a batch goes to one topic: one publish, no grouping.
    if (batch.every((item) => item.topic === topic)) return deps.publish(topic, batch.map((item) => item.message));
    const byTopic = new Map<string, OutgoingMessage[]>();
    for (const item of batch) {
      const list = byTopic.get(item.topic);
      if (list === undefined) byTopic.set(item.topic, [item.message]);
      else list.push(item.message);
    }
    await Promise.all([...byTopic].map(([topic, messages]) => deps.publish(topic, messages)));
  };

  const drain = async (): Promise<void> => {
    let backoff = firstBackoffMs;
    while (queue.length > 0 && !abandoned) {
      const batch = queue.slice(0, maxBatch);
      try {
        await publishBatch(batch);
        queue.splice(0, batch.length);
        sync();
        backoff = firstBackoffMs;
      } catch (error) {
        // After abandon() nothing stays buffered: the loss was reported there, once.
        if (abandoned) return;
        // A batch may be partly stored when it fails; resending it whole keeps at-least-once.
        deps.logger.warn('background publish failed; events stay buffered and will be retried', {
          buffered: queue.length,
          retryInMs: backoff,
          error,
        });
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, backoff).unref();
        });
        wake = undefined;
        backoff = Math.min(backoff * 2, maxBackoffMs);
      }
    }
  };

  // The drain starts after the current I/O callbacks (setImmediate), not inside the push: the
  // events of one event-loop turn (say, of requests answered in that turn) go out as one batch
  // instead of the first alone, for one publish (one deadline, one broker round trip) per turn.
  const start = (): void => {
    draining ??= new Promise<void>((resolve) => setImmediate(resolve))
      .then(drain)
      .finally(() => {
        draining = undefined;
        if (queue.length > 0 && !abandoned) start();
      });
  };

  return {
    push(topic, message) {
      if (abandoned || queue.length >= deps.limit) {
        deps.stats.eventsDropped += 1;
        const now = Date.now();
        if (now - lastDropLog >= 1_000) {
          lastDropLog = now;
          deps.logger.error('event dropped: the fire-and-forget buffer is full (maxBufferedEvents)', {
            topic,
            limit: deps.limit,
            droppedSoFar: deps.stats.eventsDropped,
          });
        }
        return false;
      }
      queue.push({ topic, message });
      sync();
      start();
      return true;
    },
    async flush(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (queue.length > 0 && Date.now() < deadline) {
        wake?.();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([draining ?? Promise.resolve(), new Promise((resolve) => (timer = setTimeout(resolve, Math.max(1, deadline - Date.now()))))]);
        clearTimeout(timer);
      }
      return queue.length;
    },
    abandon() {
      abandoned = true;
      wake?.();
      const lost = queue.splice(0).map((item) => item.message);
      if (lost.length > 0) {
        deps.stats.eventsDropped += lost.length;
        deps.logger.error('events lost at close: the broker did not acknowledge them in time (it may still have stored some of them)', { lost: lost.length });
      }
      sync();
      return lost;
    },
  };
}
