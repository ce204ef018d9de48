import type { Broker, OutgoingMessage } from 'eventwire';
import { createMemoryBroker, createMemoryServer, type MemoryServer } from 'eventwire/memory';

/**
 * The in-process broker has no client library of its own: its baseline is the broker port
 * used directly (`publish` / `subscribe`), so the ratio isolates what the core adds on top.
 */

export const memoryServer = (): MemoryServer => createMemoryServer();
export const memoryConnection = (server: MemoryServer): Broker => createMemoryBroker({ server });

const message = (value: Buffer): OutgoingMessage => ({ headers: {}, value });

export const memorySend = (broker: Broker, topic: string, value: Buffer): Promise<void> => broker.publish(topic, [message(value)]);

export const memorySendBatch = (broker: Broker, topic: string, values: readonly Buffer[]): Promise<void> => broker.publish(topic, values.map(message));

export async function memoryPrefill(broker: Broker, topic: string, count: number, value: Buffer): Promise<void> {
  for (let done = 0; done < count; done += 500) {
    await memorySendBatch(broker, topic, Array.from({ length: Math.min(500, count - done) }, () => value));
  }
}

/** Subscribes with the port's own at-least-once contract: resolving the callback acknowledges. */
export async function memoryConsume(broker: Broker, topic: string, group: string, concurrency: number, handle: (value: Buffer) => Promise<void>): Promise<{ stop(): Promise<void> }> {
  const controller = new AbortController();
  const subscription = await broker.subscribe({ groupId: group, topics: [topic], concurrency, signal: controller.signal }, (incoming) => handle(incoming.value));
  return {
    async stop() {
      controller.abort();
      await subscription.closed;
    },
  };
}
