import type { Headers, OutgoingMessage } from '../../lib/broker.js';
import { Fifo } from './fifo.js';
import type { MemoryMember } from './member.js';

/**
 * The in-process "broker process" several connections share. Create one per test with
 * `createMemoryServer()` to keep tests independent.
 */
export interface MemoryServer {
  /** Messages waiting or in flight for a group on a topic: useful in tests. */
  depth(groupId: string, topic: string): number;
}

/** One message as a group's queue holds it; `deliveries` counts the deliveries to that group. */
export interface Entry {
  readonly topic: string;
  readonly key: string | undefined;
  readonly headers: Headers;
  readonly value: Buffer;
  readonly id: string;
  deliveries: number;
}

/** A group's messages on one topic: ready ones in order, and how many are in flight or waiting for a redelivery. */
export interface GroupQueue {
  readonly ready: Fifo<Entry>;
  readonly members: MemoryMember[];
  inFlight: number;
  /** Where the round-robin over `members` resumes. */
  next: number;
}

/**
 * The server's topics and groups, and the hand-out of messages to members. What is per
 * connection (its members, its redelivery delay) lives with the connection, not here.
 *
 * @example
 * const server = new MemoryServerState(); server.append('orders', { headers: {}, value: Buffer.from('{}') });
 */
export class MemoryServerState implements MemoryServer {
  /** topic → group id → queue. */
  readonly groups = new Map<string, Map<string, GroupQueue>>();
  private sequence = 0;

  depth(groupId: string, topic: string): number {
    const queue = this.groups.get(topic)?.get(groupId);
    return queue === undefined ? 0 : queue.ready.length + queue.inFlight;
  }

  /** The queue of `groupId` on `topic`, created (at the end of the topic) on first use. */
  queue(topic: string, groupId: string): GroupQueue {
    let byGroup = this.groups.get(topic);
    if (byGroup === undefined) this.groups.set(topic, (byGroup = new Map()));
    let queue = byGroup.get(groupId);
    if (queue === undefined) byGroup.set(groupId, (queue = { ready: new Fifo(), members: [], inFlight: 0, next: 0 }));
    return queue;
  }

  /** Appends a message to every group of `topic`; a topic no group subscribed keeps nothing. */
  append(topic: string, message: OutgoingMessage): void {
    const byGroup = this.groups.get(topic);
    if (byGroup === undefined) return;
    const id = `${topic}-${++this.sequence}`;
    const value = Buffer.from(message.value);
    const headers = Object.freeze({ ...message.headers });
    for (const queue of byGroup.values()) {
      queue.ready.push({ topic, key: message.key, headers, value, id, deliveries: 0 });
      this.pump(queue);
    }
  }

  /** Hands ready messages to members with spare capacity, round-robin. */
  pump(queue: GroupQueue): void {
    while (queue.ready.length > 0) {
      const member = this.pickMember(queue);
      if (member === undefined) return;
      const entry = queue.ready.shift();
      queue.inFlight += 1;
      member.dispatch(entry);
    }
  }

  /**
   * A member's callback for `entry` ended. A rejected entry returns to the head of its queue
   * after the member's redelivery delay.
   */
  settled(queue: GroupQueue, entry: Entry, failed: boolean, redeliveryDelayMs: number): void {
    if (!failed) {
      queue.inFlight -= 1;
      return;
    }
    // Still counted in flight while it waits, so that depth() sees it.
    setTimeout(() => {
      queue.inFlight -= 1;
      queue.ready.unshift(entry);
      this.pump(queue);
    }, redeliveryDelayMs).unref();
  }

  /** A member leaves its queues; with `requeue`, its unfinished messages go back at the head of their queues. */
  detach(member: MemoryMember, requeue: boolean): void {
    for (const queue of member.queues) {
      const index = queue.members.indexOf(member);
      if (index >= 0) queue.members.splice(index, 1);
    }
    if (!requeue) return;
    for (const entry of member.takeInFlight().reverse()) {
      const queue = this.queue(entry.topic, member.groupId);
      queue.inFlight -= 1;
      queue.ready.unshift(entry);
    }
    for (const queue of member.queues) this.pump(queue);
  }

  private pickMember(queue: GroupQueue): MemoryMember | undefined {
    const count = queue.members.length;
    for (let i = 0; i < count; i += 1) {
      const member = queue.members[(queue.next + i) % count] as MemoryMember;
      if (member.hasRoom) {
        queue.next = (queue.next + i + 1) % count;
        return member;
      }
    }
    return undefined;
  }
}

/**
 * Creates an isolated in-process broker server. Use one per test to keep tests independent.
 *
 * @example
 * const server = createMemoryServer();
 * const a = createMemoryBroker({ server }); const b = createMemoryBroker({ server });
 */
export function createMemoryServer(): MemoryServer {
  return new MemoryServerState();
}
