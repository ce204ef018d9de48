import type { Channel } from 'amqplib';
import { withTimeout } from './wait.js';

/**
 * A queue's message count once no consumer is attached to it any more. A quorum queue applies a
 * closed consumer's returns in the same step that removes the consumer, asynchronously: its
 * count read before then misses messages that are on their way back. Waits (polling, up to
 * `timeoutMs`) for the consumer count to reach 0, then reads the count.
 *
 * @example
 * assert.equal(await settledDepth(channel, 'billing.orders'), 0);
 */
export async function settledDepth(channel: Channel, queue: string, timeoutMs = 10_000): Promise<number> {
  const settled = (async () => {
    for (;;) {
      const { consumerCount, messageCount } = await channel.checkQueue(queue);
      if (consumerCount === 0) return messageCount;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return withTimeout(settled, timeoutMs, `no consumer left on queue ${queue}`);
}
