import type { Socket } from 'node:net';
import type { Consumer, EachMessagePayload } from 'kafkajs';
import { bounded } from '../../lib/waiting.js';
import { bySubscription } from './assigner.js';
import { CLOSE_WAIT_MS, type KafkaConnection } from './connection.js';
import type { Assigned } from './group-offsets.js';
import type { KafkaSettings } from './options.js';

/** The fetch long-poll; stopping a consumer waits for it (kafkajs default 5000). */
const FETCH_WAIT_MS = 1000;

/** What a session tells its member; nothing after it was retired. */
export interface SessionEvents {
  /** The consumer joined the group with this assignment. */
  joined(assigned: Assigned): void;
  /** kafkajs is about to rejoin (a rebalance). */
  rebalancing(): void;
  /** kafkajs crashed; `restart` says whether it restarts the consumer itself. */
  crashed(error: unknown, restart: boolean): void;
  /** A fetch completed, with or without messages. */
  fetched(): void;
  /** A fetched message, in partition order; its promise settles when it may be committed. */
  message(payload: EachMessagePayload): Promise<void>;
}

/**
 * One kafkajs consumer of a member, on a client and sockets of its own, subscribed and running.
 * A member replaces a stalled session with a new one: the old one is retired, so that its events
 * are ignored, its fetched messages are not delivered, and kafkajs does not restart it.
 *
 * @example
 * const session = await ConsumerSession.open(connection, { groupId, topics, concurrency }, settings, events);
 */
export class ConsumerSession {
  readonly consumer: Consumer;
  /** Settles when kafkajs's run() did; rejections go to `crashed`. */
  readonly running: Promise<void>;
  #retired = false;
  readonly #sockets: Set<Socket>;

  private constructor(consumer: Consumer, sockets: Set<Socket>, running: Promise<void>) {
    this.consumer = consumer;
    this.#sockets = sockets;
    this.running = running;
  }

  /** True once replaced or stopped for good. */
  get retired(): boolean {
    return this.#retired;
  }

  /** Opens, connects, subscribes and runs a consumer; resolves once run() was called. */
  static async open(
    connection: KafkaConnection,
    group: { readonly groupId: string; readonly topics: readonly string[]; readonly concurrency: number },
    settings: KafkaSettings,
    events: SessionEvents,
  ): Promise<ConsumerSession> {
    const sockets = new Set<Socket>();
    const { kafka, retry, lib } = await connection.consumerClient(sockets);
    const holder: { session?: ConsumerSession } = {};
    const live = (): boolean => holder.session?.retired !== true;
    const consumer = kafka.consumer({
      groupId: group.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      maxWaitTimeInMs: FETCH_WAIT_MS,
      allowAutoTopicCreation: false,
      // A retired consumer must not come back to life after a crash.
      retry: { ...retry, restartOnFailure: async () => live() },
      // kafkajs's round-robin second, for groups shared with plain kafkajs consumers.
      partitionAssigners: [bySubscription(lib), lib.PartitionAssigners.roundRobin],
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => live() && events.joined(payload.memberAssignment));
    consumer.on(consumer.events.REBALANCING, () => live() && events.rebalancing());
    consumer.on(consumer.events.CRASH, ({ payload }) => live() && events.crashed(payload.error, payload.restart));
    consumer.on(consumer.events.FETCH, () => live() && events.fetched());
    await consumer.connect();
    await consumer.subscribe({ topics: [...group.topics], fromBeginning: false });
    // kafkajs's OpenTelemetry instrumentation would start a consumer span per message beside eventwire's.
    const run = connection.clientSpans.consumer(consumer.run);
    const running = run.call(consumer, {
      autoCommit: false,
      partitionsConsumedConcurrently: Math.max(1, Math.floor(group.concurrency)), // kafkajs hangs with no worker
      // After retirement, fetched messages stay uncommitted for the partition's next owner.
      eachMessage: (payload) => (live() ? events.message(payload) : Promise.resolve()),
    });
    running.catch((error: unknown) => live() && events.crashed(error, false));
    holder.session = new ConsumerSession(consumer, sockets, running);
    return holder.session;
  }

  /** Its events and fetched messages are ignored from now on, and kafkajs will not restart it. */
  detach(): void {
    this.#retired = true;
  }

  /**
   * Stops it for good: detached, it leaves the group (bounded: a silent broker never answers),
   * and its sockets are ended with an error, since kafkajs fails a connection's pending requests
   * on 'error', not on 'close' (a plain destroy leaves a swallowed Fetch waiting for its 30 s
   * request timeout).
   */
  async retire(): Promise<void> {
    this.detach();
    await bounded(this.consumer.disconnect().catch(() => {}), CLOSE_WAIT_MS);
    for (const socket of this.#sockets) socket.destroy(new Error('the consumer was replaced'));
  }
}
