import type { DeliveryCallback, IncomingMessage, SubscribeRequest, Subscription } from '../../lib/broker.js';
import { MemberLifecycle } from '../../lib/consuming/member-lifecycle.js';
import type { Entry, GroupQueue, MemoryServerState } from './server.js';

/** One connection to a memory server: its members and its own settings. */
export interface MemoryConnection {
  closed: boolean;
  readonly server: MemoryServerState;
  readonly members: Set<MemoryMember>;
  /** See `MemoryBrokerOptions.redeliveryDelayMs`; this connection's, not the server's. */
  readonly redeliveryDelayMs: number;
}

/**
 * One subscription's member of its group: it takes messages from the group's queue of each of
 * its topics, up to `concurrency` at once. Stopping (the request's signal) detaches it from the
 * queues and lets its callbacks finish; a rejected callback's message goes back to the queue
 * after the connection's redelivery delay. When its connection closes, its unfinished messages
 * return to the queues at once and their outcome no longer counts.
 *
 * @example
 * const member = new MemoryMember(request, deliver, connection); const subscription = member.start();
 */
export class MemoryMember {
  readonly groupId: string;
  readonly queues: readonly GroupQueue[];
  readonly #concurrency: number;
  readonly #deliver: DeliveryCallback;
  readonly #connection: MemoryConnection;
  readonly #signal: AbortSignal;
  /** The entries whose callback runs; those a closing connection returns to their queues. */
  readonly #inFlight = new Set<Entry>();
  readonly #life = new MemberLifecycle();

  constructor(request: SubscribeRequest, deliver: DeliveryCallback, connection: MemoryConnection) {
    this.groupId = request.groupId;
    this.#concurrency = request.concurrency;
    this.#deliver = deliver;
    this.#connection = connection;
    this.#signal = request.signal;
    this.queues = request.topics.map((topic) => connection.server.queue(topic, request.groupId));
  }

  /** True while the member runs and has a free slot. */
  get hasRoom(): boolean {
    return this.#life.running && this.#inFlight.size < this.#concurrency;
  }

  /** Joins the group's queues (unless the signal aborted already) and stops on the signal. */
  start(): Subscription {
    this.#connection.members.add(this);
    if (!this.#life.stopOn(this.#signal, () => this.#stop())) {
      for (const queue of this.queues) queue.members.push(this);
      for (const queue of this.queues) this.#connection.server.pump(queue);
    }
    return { closed: this.#life.closed };
  }

  /** Starts a callback for `entry`, on a later tick as a network client would, so that publish() resolves first. */
  dispatch(entry: Entry): void {
    entry.deliveries += 1;
    this.#inFlight.add(entry);
    this.#life.begin();
    const message: IncomingMessage = {
      topic: entry.topic,
      key: entry.key,
      headers: entry.headers,
      value: entry.value,
      id: entry.id,
      transportId: entry.id,
      deliveryCount: entry.deliveries,
    };
    setImmediate(() => {
      this.#deliver(message).then(
        () => this.#settle(entry, false),
        () => this.#settle(entry, true),
      );
    });
  }

  /** Hands over the entries in flight, in delivery order; their callbacks' outcome no longer counts. */
  takeInFlight(): Entry[] {
    const entries = [...this.#inFlight];
    this.#inFlight.clear();
    return entries;
  }

  /** The connection closes: the member leaves, its unfinished messages go back to the queues, `closed` resolves. */
  abandon(): void {
    this.#connection.members.delete(this);
    this.#connection.server.detach(this, true);
    this.#life.close();
  }

  #stop(): void {
    if (!this.#life.stop()) return;
    this.#connection.members.delete(this);
    this.#connection.server.detach(this, false);
    void this.#life.idle().then(() => this.#life.close());
  }

  #settle(entry: Entry, failed: boolean): void {
    // A connection that closed already returned this entry to the queue: the outcome is void.
    if (!this.#inFlight.delete(entry)) return;
    const { server, redeliveryDelayMs } = this.#connection;
    const queue = server.queue(entry.topic, this.groupId);
    server.settled(queue, entry, failed, redeliveryDelayMs);
    this.#life.end();
    for (const q of this.queues) server.pump(q);
    server.pump(queue);
  }
}
