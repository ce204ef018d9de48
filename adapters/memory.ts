import type {
  Broker,
  BrokerCapabilities,
  BrokerConfig,
  DeliveryCallback,
  Headers,
  IncomingMessage,
  OutgoingMessage,
  SubscribeRequest,
  Subscription,
  TopicKeeper,
} from '../lib/broker.js';
import { InvalidArgumentError, MessagingClosedError } from '../lib/errors.js';

/**
 * The in-process broker: a product feature for development and tests, with the semantics of the
 * real brokers rather than a stand-in's. A {@link MemoryServer} plays the broker process; each
 * {@link createMemoryBroker} result plays one client connection to it, so several "services" in
 * one process can share topics, and closing one connection behaves like that process dying.
 *
 * Semantics (the same contract as Redis Streams and RabbitMQ queues):
 * - a group is created by its first subscription and starts at the end of each topic;
 * - it then keeps every message published to its topics, also while no member is connected;
 * - members of a group compete for its messages (no key affinity); each group gets every message;
 * - a message is removed when its callback resolves; a rejected callback makes it available
 *   again after `redeliveryDelayMs`; a closed connection returns its in-flight messages at once;
 * - nothing survives the process.
 */
export interface MemoryServer {
  /** Messages waiting or in flight for a group on a topic: useful in tests. */
  depth(groupId: string, topic: string): number;
}

/**
 * Options of {@link createMemoryBroker}.
 *
 * @example
 * createMemoryBroker({ server: createMemoryServer(), redeliveryDelayMs: 50 });
 */
export interface MemoryBrokerOptions {
  /** The shared "broker process"; defaults to one per Node.js process. */
  readonly server?: MemoryServer;
  /** Delay before a message whose callback rejected is delivered again. Default 200 ms. */
  readonly redeliveryDelayMs?: number;
}

interface Entry {
  readonly topic: string;
  readonly key: string | undefined;
  readonly headers: Headers;
  readonly value: Buffer;
  readonly id: string;
  deliveries: number;
}

interface Member {
  readonly connection: Connection;
  readonly concurrency: number;
  readonly deliver: DeliveryCallback;
  readonly inFlight: Set<Entry>;
  readonly queues: GroupQueue[];
  active: boolean;
  idle: (() => void) | undefined;
}

interface GroupQueue {
  readonly ready: Fifo<Entry>;
  readonly members: Member[];
  inFlight: number;
  next: number;
}

/**
 * A queue whose `shift` is O(1) however long it grows: `Array.prototype.shift` copies a large
 * array, which made draining a backlog of 100,000 messages quadratic (about 100 µs a message).
 */
class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Puts an item back in front (a redelivery goes first). */
  unshift(item: T): void {
    if (this.head > 0) this.items[--this.head] = item;
    else this.items.unshift(item);
  }

  /** The first item; the caller checks `length` first. */
  shift(): T {
    const item = this.items[this.head] as T;
    this.items[this.head++] = undefined;
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

interface Connection {
  closed: boolean;
  readonly members: Set<Member>;
}

class Server implements MemoryServer {
  readonly groups = new Map<string, Map<string, GroupQueue>>();
  private sequence = 0;

  depth(groupId: string, topic: string): number {
    const queue = this.groups.get(topic)?.get(groupId);
    return queue === undefined ? 0 : queue.ready.length + queue.inFlight;
  }

  queue(topic: string, groupId: string): GroupQueue {
    let byGroup = this.groups.get(topic);
    if (byGroup === undefined) this.groups.set(topic, (byGroup = new Map()));
    let queue = byGroup.get(groupId);
    if (queue === undefined) byGroup.set(groupId, (queue = { ready: new Fifo(), members: [], inFlight: 0, next: 0 }));
    return queue;
  }

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
      this.dispatch(queue, member, entry);
    }
  }

  private pickMember(queue: GroupQueue): Member | undefined {
    const count = queue.members.length;
    for (let i = 0; i < count; i += 1) {
      const member = queue.members[(queue.next + i) % count] as Member;
      if (member.active && member.inFlight.size < member.concurrency) {
        queue.next = (queue.next + i + 1) % count;
        return member;
      }
    }
    return undefined;
  }

  private dispatch(queue: GroupQueue, member: Member, entry: Entry): void {
    entry.deliveries += 1;
    member.inFlight.add(entry);
    queue.inFlight += 1;
    const message: IncomingMessage = {
      topic: entry.topic,
      key: entry.key,
      headers: entry.headers,
      value: entry.value,
      id: entry.id,
      transportId: entry.id,
      deliveryCount: entry.deliveries,
    };
    // Delivered on a later tick, as a network client would, so publish() resolves first.
    setImmediate(() => {
      member.deliver(message).then(
        () => this.settle(queue, member, entry, false),
        () => this.settle(queue, member, entry, true),
      );
    });
  }

  private settle(queue: GroupQueue, member: Member, entry: Entry, failed: boolean): void {
    // A connection that closed already returned this entry to the queue: the outcome is void.
    if (!member.inFlight.delete(entry)) return;
    queue.inFlight -= 1;
    if (failed) {
      const delay = redeliveryDelays.get(this) ?? 200;
      queue.inFlight += 1;
      setTimeout(() => {
        queue.inFlight -= 1;
        queue.ready.unshift(entry);
        this.pump(queue);
      }, delay).unref();
    }
    if (member.inFlight.size === 0) member.idle?.();
    for (const q of member.queues) this.pump(q);
    this.pump(queue);
  }

  /** A member leaves; with `requeue`, its unfinished messages go back at the head of the queue. */
  detach(member: Member, requeue: boolean): void {
    member.active = false;
    member.connection.members.delete(member);
    for (const queue of member.queues) {
      const index = queue.members.indexOf(member);
      if (index >= 0) queue.members.splice(index, 1);
    }
    if (!requeue) return;
    for (const entry of [...member.inFlight].reverse()) {
      member.inFlight.delete(entry);
      const queue = this.queue(entry.topic, groupOf.get(member) as string);
      queue.inFlight -= 1;
      queue.ready.unshift(entry);
    }
    for (const queue of member.queues) this.pump(queue);
    member.idle?.();
  }
}

const redeliveryDelays = new WeakMap<Server, number>();
const groupOf = new WeakMap<Member, string>();
let defaultServer: Server | undefined;

/**
 * Creates an isolated in-process broker server. Use one per test to keep tests independent.
 *
 * @example
 * const server = createMemoryServer();
 * const a = createMemoryBroker({ server }); const b = createMemoryBroker({ server });
 */
export function createMemoryServer(): MemoryServer {
  return new Server();
}

const capabilities: BrokerCapabilities = { persistent: false, deliveryCount: true, keyAffinity: false };

/**
 * A connection to an in-process broker server.
 *
 * @example
 * configureMessaging({ broker: createMemoryBroker() });
 */
export function createMemoryBroker(options: MemoryBrokerOptions = {}): Broker {
  const server = resolveServer(options.server);
  if (options.redeliveryDelayMs !== undefined) redeliveryDelays.set(server, options.redeliveryDelayMs);
  const connection: Connection = { closed: false, members: new Set() };

  const broker: Broker & TopicKeeper = {
    name: 'memory',
    capabilities,
    async publish(topic, messages) {
      if (connection.closed) throw new MessagingClosedError();
      for (const message of messages) server.append(topic, message);
    },
    async subscribe(request: SubscribeRequest, deliver: DeliveryCallback): Promise<Subscription> {
      if (connection.closed) throw new MessagingClosedError();
      const member: Member = {
        connection,
        concurrency: request.concurrency,
        deliver,
        inFlight: new Set(),
        queues: request.topics.map((topic) => server.queue(topic, request.groupId)),
        active: true,
        idle: undefined,
      };
      groupOf.set(member, request.groupId);
      connection.members.add(member);
      let markClosed: () => void = () => {};
      const closed = new Promise<void>((resolve) => (markClosed = resolve));
      member.idle = () => {
        if (!member.active && (member.inFlight.size === 0 || connection.closed)) markClosed();
      };
      const stop = (): void => {
        if (member.active) server.detach(member, false);
        member.idle?.();
      };
      if (request.signal.aborted) stop();
      else request.signal.addEventListener('abort', stop, { once: true });
      if (!request.signal.aborted) {
        for (const queue of member.queues) queue.members.push(member);
        for (const queue of member.queues) server.pump(queue);
      }
      return { closed };
    },
    async close() {
      if (connection.closed) return;
      connection.closed = true;
      for (const member of [...connection.members]) server.detach(member, true);
    },
    async keepTopic(topic) {
      server.queue(topic, topic);
    },
  };
  return broker;
}

/**
 * The factory used by `configureMessaging({ broker: 'memory' })`.
 *
 * @example
 * const broker = memoryBrokerFactory({ url: 'memory://', clientOptions: {}, brokerOptions: {}, logger });
 */
export function memoryBrokerFactory(config: BrokerConfig): Broker {
  const { server, redeliveryDelayMs } = config.brokerOptions;
  return createMemoryBroker({
    ...(server === undefined ? {} : { server: server as MemoryServer }),
    ...(typeof redeliveryDelayMs === 'number' ? { redeliveryDelayMs } : {}),
  });
}

function resolveServer(server: MemoryServer | undefined): Server {
  if (server === undefined) return (defaultServer ??= new Server());
  if (!(server instanceof Server)) throw new InvalidArgumentError('server', 'Expected `server` to come from createMemoryServer().');
  return server;
}
