import type { TopicLag } from '../../lib/broker.js';
import type { MemoryServerState } from './server.js';

/**
 * The lag of `groupId` on `topics` on an in-process server: its ready messages, and as `pending`
 * those handed to a member and not settled yet (or waiting for a redelivery). A topic the group
 * never subscribed to is left out.
 *
 * @example
 * memoryLag(server, 'billing', ['orders']); // [{ topic: 'orders', groupId: 'billing', messages: 2, pending: 1 }]
 */
export function memoryLag(server: MemoryServerState, groupId: string, topics: readonly string[]): TopicLag[] {
  const lags: TopicLag[] = [];
  for (const topic of topics) {
    const queue = server.groups.get(topic)?.get(groupId);
    if (queue !== undefined) lags.push({ topic, groupId, messages: queue.ready.length, pending: queue.inFlight });
  }
  return lags;
}
