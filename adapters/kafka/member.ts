import type { Admin, EachMessagePayload } from 'kafkajs';
import type { DeliveryCallback, SubscribeRequest, Subscription } from '../../lib/broker.js';
import { MessagingClosedError } from '../../lib/errors/index.js';
import type { Logger } from '../../lib/config/logger.js';
import { MemberLifecycle } from '../../lib/consuming/member-lifecycle.js';
import { bounded, deferred } from '../../lib/waiting.js';
import { toIncoming } from './codec.js';
import { CLOSE_WAIT_MS, type KafkaConnection } from './connection.js';
import { ConsumerSession } from './consumer-session.js';
import { endsNow, hasLag, uncommittedStarts, type Assigned, type Ends } from './group-offsets.js';
import { OffsetCommitter } from './offset-committer.js';
import type { KafkaSettings } from './options.js';
import { PartitionPauses } from './partition-pauses.js';
import { StallGuard } from './stall-guard.js';

/** What a member needs from its broker instance. */
export interface MemberContext {
  readonly connection: KafkaConnection;
  readonly admin: Admin;
  readonly settings: KafkaSettings;
  readonly logger: Logger;
}

/**
 * One subscription's member of its consumer group: a kafkajs consumer session (replaced when it
 * stalls), the callbacks in flight, the offset committer and the lifecycle running → draining
 * (on abort: no new messages, callbacks finish and are committed) → closed. Callbacks in flight
 * when the broker instance closes are abandoned uncommitted, so that another member receives
 * them again. See the adapter's contract in index.ts.
 *
 * @example
 * const member = new KafkaMember(request, deliver, context); const subscription = await member.start();
 */
export class KafkaMember {
  /** running → draining (on abort: no new messages, callbacks finish) → closed; the callbacks in flight. */
  readonly #life = new MemberLifecycle();
  #session: ConsumerSession | undefined;
  #assigned: Assigned = {};
  /** The ends of the subscribed topics when the member subscribed: where a new group starts. */
  #subscribedAt: Ends = new Map();
  /** The callbacks in flight, told when close() abandons them (their outcome no longer counts). */
  readonly #abandonable = new Set<() => void>();
  readonly #ready = deferred();
  #positioning = Promise.resolve();
  #stopping: Promise<void> | undefined;
  /** kafkajs heartbeats only between messages: while a callback runs, the member heartbeats itself. */
  #heartbeat: (() => Promise<void>) | undefined;
  readonly #beat: NodeJS.Timeout;
  readonly #committer: OffsetCommitter;
  readonly #pauses: PartitionPauses;
  readonly #guard: StallGuard;
  readonly #request: SubscribeRequest;
  readonly #deliver: DeliveryCallback;
  readonly #context: MemberContext;

  constructor(request: SubscribeRequest, deliver: DeliveryCallback, context: MemberContext) {
    this.#request = request;
    this.#deliver = deliver;
    this.#context = context;
    const { groupId } = request;
    // Failures surface through start() or `closed`; unobserved, they must not crash the process.
    this.#ready.promise.catch(() => {});
    this.#committer = new OffsetCommitter(
      (offsets) => this.#consumer().commitOffsets(offsets),
      // Typically a rebalance moved the partitions: their next owner receives the messages again.
      (offsets, error) => context.logger.warn('Kafka offset commit failed; the messages may be delivered again', { groupId, offsets, error }),
    );
    this.#pauses = new PartitionPauses(() => this.#session?.consumer, context.settings.redeliveryDelayMs);
    this.#beat = setInterval(() => {
      if (this.#life.inFlight > 0) void this.#heartbeat?.().catch(() => {});
    }, context.settings.heartbeatIntervalMs);
    this.#beat.unref();
    this.#guard = new StallGuard({
      timeoutMs: context.settings.stallTimeoutMs,
      busy: () => this.#life.inFlight > 0,
      lagging: () => hasLag(context.admin, groupId, this.#assigned),
      rejoin: () => this.#rejoin(),
    });
  }

  /** The stall guard's state, for health reports. */
  get stall(): StallGuard {
    return this.#guard;
  }

  /** Joins the group; resolves once the member is positioned, so that nothing published after is missed. */
  async start(): Promise<Subscription> {
    try {
      this.#subscribedAt = await endsNow(this.#context.admin, this.#request.topics);
      await this.#join();
      await this.#ready.promise;
      this.#guard.start();
    } catch (error) {
      this.#fail(error);
      await this.#shutdown();
      throw error;
    }
    this.#life.stopOn(this.#request.signal, () => void this.#drain().catch((error: unknown) => this.#fail(error)));
    return { closed: this.#life.closed };
  }

  /** The broker instance closes: callbacks in flight are abandoned uncommitted. */
  abandon(): Promise<void> {
    this.#life.close();
    for (const abandon of [...this.#abandonable]) abandon();
    this.#ready.reject(new MessagingClosedError());
    return this.#shutdown();
  }

  #consumer(): ConsumerSession['consumer'] {
    if (this.#session === undefined) throw new MessagingClosedError();
    return this.#session.consumer;
  }

  async #join(): Promise<void> {
    const { groupId, topics, concurrency } = this.#request;
    this.#session = await ConsumerSession.open(this.#context.connection, { groupId, topics, concurrency }, this.#context.settings, {
      joined: (assigned) => this.#joined(assigned),
      // What is pending is sent now, behind a commit in flight if there is one (on the same
      // coordinator connection, which Kafka answers in order), so that it reaches the coordinator
      // before this member's JoinGroup and is accepted in the generation that is ending.
      rebalancing: () => void (this.#committer.pending && this.#committer.sendNow()),
      crashed: (error, restart) => {
        if (restart) this.#context.logger.warn('Kafka consumer crashed; kafkajs restarts it', { groupId, error });
        else this.#fail(error);
      },
      fetched: () => this.#guard.fetched(),
      message: (payload) => this.#message(payload),
    });
  }

  #joined(assigned: Assigned): void {
    if (!this.#life.running) return; // kafkajs may rejoin while it stops
    this.#assigned = assigned;
    const { admin, logger } = this.#context;
    const { groupId } = this.#request;
    // On failure, the next join (after the rebalance or the restart that caused it) retries.
    this.#positioning = this.#positioning
      .then(async () => {
        const starts = await uncommittedStarts(admin, groupId, assigned, this.#subscribedAt);
        if (starts.length === 0) return;
        for (const start of starts) this.#consumer().seek(start);
        await this.#consumer().commitOffsets(starts);
      })
      .then(this.#ready.resolve, (error: unknown) => logger.warn('Could not position the Kafka consumer group', { groupId, error }));
  }

  #message({ topic, partition, message, heartbeat }: EachMessagePayload): Promise<void> {
    // After abort or close, fetched messages stay uncommitted for the partition's next owner.
    if (!this.#life.running) return Promise.resolve();
    this.#heartbeat = heartbeat;
    this.#life.begin();
    return new Promise<void>((resolve) => {
      let over = false;
      const finish = (outcome: 'resolved' | 'rejected' | 'abandoned'): void => {
        if (over) return;
        over = true;
        this.#abandonable.delete(abandon);
        const counts = this.#life.phase !== 'closed';
        if (outcome === 'rejected' && counts) this.#pauses.redeliverLater(topic, partition, message.offset, () => this.#life.running);
        else if (outcome === 'resolved' && counts) this.#committer.handled(topic, partition, message.offset);
        this.#life.end();
        resolve();
      };
      const abandon = (): void => finish('abandoned');
      this.#abandonable.add(abandon);
      try {
        this.#deliver(toIncoming(topic, partition, message)).then(() => finish('resolved'), () => finish('rejected'));
      } catch {
        finish('rejected');
      }
    });
  }

  /** Replaces a session that stalled: commits what it handled, joins anew, retires the old one. */
  async #rejoin(): Promise<void> {
    const { groupId } = this.#request;
    this.#context.logger.warn('Kafka consumer stalled: its partitions have messages waiting but it fetched nothing; rejoining the group with a new connection', {
      groupId,
      stallTimeoutMs: this.#context.settings.stallTimeoutMs,
    });
    await bounded(this.#committer.flush(), CLOSE_WAIT_MS);
    const stalled = this.#session;
    if (!this.#life.running) return;
    stalled?.detach(); // its goodbye events and late messages are ignored from now on
    try {
      await this.#join();
    } catch (error) {
      // The stalled session stays detached: the guard sees no fetch and tries again.
      this.#context.logger.warn('Kafka consumer could not rejoin after a stall; trying again', { groupId, error });
      return;
    }
    await stalled?.retire();
  }

  async #drain(): Promise<void> {
    if (!this.#life.stop()) return;
    try {
      this.#session?.consumer.pause(this.#request.topics.map((topic) => ({ topic })));
    } catch {
      // restarting after a crash: nothing is fetched
    }
    await this.#life.idle();
    await this.#shutdown();
    this.#life.close();
  }

  #fail(error: unknown): void {
    if (!this.#life.fail(error)) return;
    this.#ready.reject(error);
    void this.#shutdown();
  }

  #shutdown(): Promise<void> {
    return (this.#stopping ??= (async () => {
      this.#pauses.clear();
      clearInterval(this.#beat);
      this.#guard.stop();
      const session = this.#session;
      if (session === undefined) return;
      await bounded(session.running, CLOSE_WAIT_MS); // disconnecting before run() settled can leave it consuming (kafkajs#1639)
      // Once disconnected, kafkajs drops commits silently: what was handled is committed first.
      // Bounded: a broker that went silent (a network partition) does not answer before
      // kafkajs's request timeout. Uncommitted, the messages go again to the next owner.
      await bounded(this.#committer.flush(), CLOSE_WAIT_MS);
      // Bounded too: a silent broker never answers the LeaveGroup. close() ends the sockets.
      const { groupId } = this.#request;
      const left = session.consumer.disconnect().catch((error: unknown) => this.#context.logger.warn('Kafka consumer did not disconnect cleanly', { groupId, error }));
      await bounded(left, CLOSE_WAIT_MS);
    })());
  }
}
