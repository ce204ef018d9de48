import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { DeliveryCallback, IncomingMessage, SubscribeRequest, Subscription } from '../../lib/broker.js';
import type { Logger } from '../../lib/config/logger.js';
import { MemberLifecycle } from '../../lib/consuming/member-lifecycle.js';
import { AckBatcher, type AckClient } from './ack-batcher.js';
import { ClaimLoop } from './claim-loop.js';
import type { RedisClient } from './client.js';
import { decode, type FreshEntry, type RawEntry } from './codec.js';
import { deliveryCounts } from './delivery-counts.js';
import { ensureGroups, type ReadConnection, type RedisConnection } from './connection.js';
import type { RedisSettings } from './options.js';
import { ReadLoop } from './read-loop.js';
import { retireConsumer } from './retire.js';

/** What a member uses of its broker: the connection, its shared client, its own readers and the settings. */
export interface MemberDeps {
  readonly connection: RedisConnection;
  readonly redis: RedisClient;
  /** Its dedicated reading clients, each with the topics it reads (connection.ts). */
  readonly readers: readonly ReadConnection[];
  readonly settings: RedisSettings;
  /** Where the member's XACKs go: the shared client unless given (a test holds their replies here). */
  readonly acks?: AckClient;
}

const keyOf = (topic: string, id: string): string => `${topic}\0${id}`;

/**
 * One subscription: a consumer of its own name in the group, reading with a blocking
 * XREADGROUP on its own connection (own pending entries first, then new ones; on a cluster one
 * read loop and connection per topic), up to `concurrency` callbacks at a time. A resolved
 * callback's entry is acknowledged by the ack batcher; a rejected one stays held and is taken
 * again with XCLAIM after `redeliveryDelayMs`. The claim loop keeps held entries from being
 * taken over and takes over those of members that died.
 *
 * @example
 * const member = new RedisMember(request, deliver, { connection, redis, readers, settings });
 * member.start(); await member.closed;
 */
export class RedisMember {
  readonly #deliver: DeliveryCallback;
  readonly #signal: AbortSignal;
  readonly #group: string;
  readonly #concurrency: number;
  readonly #topics: string[];
  readonly #consumer = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #context: Readonly<Record<string, string>>;
  readonly #deps: MemberDeps;
  readonly #logger: Logger;
  /** Entries this member owns: waiting in `ready`, in a callback, waiting for a retry or for their XACK's reply. */
  readonly #held = new Map<string, IncomingMessage>();
  readonly #retries = new Map<string, NodeJS.Timeout>();
  /** Entries taken in, waiting for a free slot; claimed ones go ahead of new reads. */
  readonly #ready: IncomingMessage[] = [];
  readonly #acks: AckBatcher;
  readonly #claims: ClaimLoop;
  readonly #reads: ReadLoop[];
  /** running → draining (stop: no reads) → closed (callbacks ended, XACKs answered); the callbacks in flight. */
  readonly #life = new MemberLifecycle();
  /** Set while the consumer name is being removed from the group, before the member closes. */
  #retiring = false;

  constructor(request: SubscribeRequest, deliver: DeliveryCallback, deps: MemberDeps) {
    this.#deliver = deliver;
    this.#signal = request.signal;
    this.#group = request.groupId;
    this.#concurrency = request.concurrency;
    this.#topics = [...new Set(request.topics)];
    this.#context = { broker: 'redis', group: this.#group, consumer: this.#consumer };
    this.#deps = deps;
    this.#logger = deps.settings.logger;
    this.#acks = new AckBatcher(deps.acks ?? deps.redis, this.#group, {
      answered: (topic, ids) => ids.forEach((id) => this.#held.delete(keyOf(topic, id))),
      failed: (topic, ids, error) => void (this.#deps.connection.closed || this.#logger.warn('XACK failed; the entries will be delivered again', { ...this.#context, topic, ids, error })),
      changed: () => this.#settle(),
    });
    const claimant = { group: this.#group, consumer: this.#consumer, topics: this.#topics, claimIdleMs: deps.settings.claimIdleMs };
    this.#claims = new ClaimLoop(deps.redis, claimant, {
      held: () => this.#held.values(),
      room: () => this.#claimRoom(),
      ingest: (topic, entries) => this.#ingest(topic, entries, true) ?? Promise.resolve(),
      failed: (error) => void (this.#deps.connection.closed || this.#logger.debug('Heartbeat or XAUTOCLAIM failed', { ...this.#context, error })),
    });
    this.#claims.start(deps.settings.tickMs);
    const hooks = {
      capacity: () => (this.#ready.length > 0 ? 0 : this.#concurrency - this.#life.inFlight),
      ingest: (topic: string, entries: RawEntry[], fromPending: boolean) => this.#ingest(topic, entries, fromPending),
      beforeRead: () => this.#acks.flush(),
      recreateGroups: () => ensureGroups(this.#deps.redis, this.#topics, this.#group),
    };
    this.#reads = deps.readers.map(({ client, topics }) => {
      const reader = { group: this.#group, consumer: this.#consumer, topics, blockMs: deps.settings.blockMs };
      return new ReadLoop(client, reader, this.#logger, this.#context, hooks);
    });
  }

  /** Resolves once the member stopped: its callbacks ended and its XACKs were answered (bounded). */
  get closed(): Promise<void> {
    return this.#life.closed;
  }

  /** Starts reading, and stops on the request's abort signal. */
  start(): Subscription {
    this.#life.stopOn(this.#signal, () => this.stop());
    for (const reads of this.#reads) reads.run().catch((error: unknown) => this.#logger.error('The Redis reading loop stopped', { ...this.#context, error }));
    return { closed: this.closed };
  }

  /**
   * Stops reading. Entries already read are still delivered (they are ours, and acked when
   * done); rejected ones stay pending, and another member's XAUTOCLAIM takes them after
   * `claimIdleMs`. After close(), callbacks still running are not waited for.
   */
  stop(): void {
    if (this.#life.stop()) {
      this.#acks.stop();
      // Ends a blocked XREADGROUP now rather than after blockMs.
      for (const { client } of this.#deps.readers) this.#deps.connection.release(client);
      for (const [key, timer] of this.#retries) {
        clearTimeout(timer);
        this.#held.delete(key);
      }
      this.#retries.clear();
      for (const reads of this.#reads) reads.stop();
    }
    this.#settle();
  }

  /**
   * How many entries XAUTOCLAIM may take. A busy member claims too, as long as nothing waits in
   * `ready`: up to `concurrency` claimed entries wait there for a free slot, ahead of new entries
   * (the read loop reads only once `ready` is empty). Claiming only into slots free at tick time
   * starved them: a member with a steady stream refills each slot as soon as it frees.
   */
  #claimRoom(): number {
    if (!this.#life.running) return 0;
    return this.#ready.length === 0 ? this.#concurrency : this.#concurrency - this.#life.inFlight - this.#ready.length;
  }

  /**
   * `fromPending`: the entries were pending already, so their delivery counters are asked for.
   * Returns a promise only when it asks Redis something (pending or trimmed entries); new
   * entries are taken in at once.
   */
  #ingest(topic: string, raw: RawEntry[], fromPending: boolean): Promise<void> | undefined {
    const fresh: FreshEntry[] = [];
    let trimmed: string[] | undefined;
    for (const [rawId, fields] of raw) {
      const id = rawId.toString();
      if (this.#held.has(keyOf(topic, id))) continue;
      if (fields === null) (trimmed ??= []).push(id);
      else fresh.push({ id, fields });
    }
    if (!fromPending && trimmed === undefined) return void this.#take(topic, fresh, undefined);
    return this.#ingestAfterAsking(topic, fresh, trimmed, fromPending);
  }

  async #ingestAfterAsking(topic: string, fresh: FreshEntry[], trimmed: string[] | undefined, fromPending: boolean): Promise<void> {
    if (trimmed !== undefined) {
      this.#logger.warn('Pending entries were trimmed from the stream before anyone handled them', { ...this.#context, topic, ids: trimmed });
      await this.#deps.redis.xack(topic, this.#group, ...trimmed);
    }
    // New entries ('>') are at their first delivery: only pending ones need their counters.
    this.#take(topic, fresh, fromPending ? await deliveryCounts(this.#deps.redis, topic, this.#group, fresh.map(({ id }) => id)) : undefined);
  }

  /** Holds the entries and queues them for delivery; `counts`: their delivery counters, none for new entries. */
  #take(topic: string, fresh: readonly FreshEntry[], counts: readonly (number | undefined)[] | undefined): void {
    for (let index = 0; index < fresh.length; index += 1) {
      const { id, fields } = fresh[index] as FreshEntry;
      const deliveryCount = counts === undefined ? 1 : counts[index];
      // Not pending any more: its former owner acknowledged it after all.
      if (deliveryCount === undefined || this.#life.phase === 'closed') continue;
      const message = decode(topic, id, fields, deliveryCount);
      this.#held.set(keyOf(topic, id), message);
      this.#ready.push(message);
    }
    this.#pump();
  }

  #pump(): void {
    while (this.#life.phase !== 'closed' && this.#life.inFlight < this.#concurrency && this.#ready.length > 0) this.#run(this.#ready.shift() as IncomingMessage);
  }

  #run(message: IncomingMessage): void {
    this.#life.begin();
    let delivered: Promise<void>;
    try {
      delivered = this.#deliver(message);
    } catch (error) {
      delivered = Promise.reject(error);
    }
    delivered.then(
      () => {
        try {
          this.#acknowledge(message);
        } finally {
          this.#done();
        }
      },
      () => {
        const key = keyOf(message.topic, message.id);
        if (!this.#life.running) this.#held.delete(key);
        else this.#retries.set(key, setTimeout(() => void this.#retry(message), this.#deps.settings.redeliveryDelayMs));
        this.#done();
      },
    );
  }

  /** The entry stays held until its XACK's reply, so that the heartbeat keeps it and no claim takes it again meanwhile. */
  #acknowledge({ topic, id }: IncomingMessage): void {
    // close() leaves entries whose callback was still running unacknowledged (delivered again).
    if (this.#deps.connection.closed) return void this.#held.delete(keyOf(topic, id));
    this.#acks.add(topic, id);
  }

  /** A callback finished: its slot is free. */
  #done(): void {
    this.#life.end();
    for (const reads of this.#reads) reads.wake();
    this.#pump();
    this.#settle();
  }

  /** Takes a rejected entry again with XCLAIM, which counts the delivery in Redis. */
  async #retry({ topic, id }: IncomingMessage): Promise<void> {
    this.#retries.delete(keyOf(topic, id));
    this.#held.delete(keyOf(topic, id));
    try {
      const entries = (await this.#deps.redis.callBuffer('XCLAIM', topic, this.#group, this.#consumer, 0, id)) as RawEntry[];
      await this.#ingest(topic, entries, true);
    } catch (error) {
      if (!this.#deps.connection.closed) this.#logger.warn('Redelivery failed; XAUTOCLAIM will take the entry over', { ...this.#context, topic, id, error });
    }
  }

  /** Once closed, or stopped with nothing in flight nor ready, `closed` resolves as soon as no XACK is awaited. */
  #settle(): void {
    if (this.#life.phase === 'closed' || this.#retiring || !this.#acks.idle) return;
    const drained = !this.#life.running && this.#life.inFlight === 0 && this.#ready.length === 0;
    if (!(this.#deps.connection.closed || drained)) return;
    this.#claims.stop();
    // An entry still held (an XACK Redis never answered) is pending with this name: keep it.
    if (this.#deps.connection.closed || this.#held.size > 0) return this.#life.close();
    this.#retiring = true;
    const name = { group: this.#group, consumer: this.#consumer, topics: this.#topics };
    void retireConsumer(this.#deps.redis, name, this.#logger, this.#context).finally(() => this.#life.close());
  }
}
