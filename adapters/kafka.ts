import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, Assignment, Consumer, EachMessagePayload, IHeaders, ISocketFactoryArgs, Kafka, KafkaConfig, KafkaMessage, LogEntry, Message, PartitionAssigner } from 'kafkajs';
import type { Broker, BrokerCapabilities, BrokerConfig, DeliveryCallback, Headers, IncomingMessage, OutgoingMessage, SubscribeRequest, Subscription } from '../lib/broker.js';
import { coalesce } from '../lib/coalesce.js';
import { BrokerUnreachableError, EventwireError, InvalidArgumentError, MessagingClosedError, PublishError } from '../lib/errors.js';
import { loadPeer } from '../lib/load-peer.js';
import { consoleLogger, type Logger } from '../lib/logger.js';
import { abortable, bounded, deferred } from '../lib/settle.js';
import { StallGuard } from './kafka-stall-guard.js';

/**
 * Options of {@link createKafkaBroker}.
 *
 * @example
 * createKafkaBroker({ brokers: ['127.0.0.1:9092'], partitions: 6, clientOptions: { ssl: true } });
 */
export interface KafkaBrokerOptions {
  /** Bootstrap servers as `host:port`. */
  readonly brokers: readonly string[];
  /** Client id shown in broker logs and quotas. Default `eventwire`. */
  readonly clientId?: string;
  /**
   * Merged into the kafkajs `Kafka` configuration untouched (`ssl`, `sasl`, `connectionTimeout`,
   * `retry`, ...); never logged. `brokers`, `logLevel` and `logCreator` are the adapter's.
   */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /** Partitions of the topics this adapter creates: the most members a group can use. Default 3. */
  readonly partitions?: number;
  /** A member silent this long is presumed dead and its partitions move. Default 30000. */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat period, also while a callback runs; below `sessionTimeoutMs`. Default 3000. */
  readonly heartbeatIntervalMs?: number;
  /** How long a partition pauses after a callback rejected, before the redelivery. Default 1000. */
  readonly redeliveryDelayMs?: number;
  /**
   * A member that completed no fetch for this long while none of its callbacks ran, and whose
   * partitions have messages waiting, is torn down and joins the group again (logged). Above
   * `sessionTimeoutMs`, since a rebalance that waits for a dead member's session fetches nothing
   * either. Default: twice `sessionTimeoutMs`.
   */
  readonly stallTimeoutMs?: number;
  readonly logger?: Logger;
}

type KafkaModule = typeof import('kafkajs');
type Settings = Required<Pick<KafkaBrokerOptions, 'partitions' | 'sessionTimeoutMs' | 'heartbeatIntervalMs' | 'redeliveryDelayMs' | 'stallTimeoutMs'>>;

const capabilities: BrokerCapabilities = { persistent: true, deliveryCount: false, keyAffinity: true };
const tunables = ['clientId', 'partitions', 'sessionTimeoutMs', 'heartbeatIntervalMs', 'redeliveryDelayMs', 'stallTimeoutMs'];
/** How long close() waits for goodbyes (LeaveGroup, socket ends) before it ends the sockets. */
const CLOSE_WAIT_MS = 3000;
/** The fetch long-poll; stopping a consumer waits for it (kafkajs default 5000). */
const FETCH_WAIT_MS = 1000;
/**
 * The retries of a member's client (connections, metadata, coordinator look-ups and the fetch
 * loop): about 30 s of broker outage (a restart) ridden out with the same member id, so that
 * when the broker is back the member's heartbeat is accepted and it fetches again at once. When
 * kafkajs gives up (its "crash") it restarts the consumer under a new member id, and the
 * restarted broker then waits for the old id's session to expire (`sessionTimeoutMs`) before
 * it assigns partitions again. The price: after close() with the broker unreachable, kafkajs's
 * own retries may go on for as long in the background (they open no connection, see `track`).
 */
const MEMBER_RETRY = { retries: 15, initialRetryTime: 300, maxRetryTime: 2500 };
/** Bytes counted per record beside its value when bounding a coalesced request (key, headers, framing). */
const RECORD_OVERHEAD = 100;

/**
 * The Kafka transport (kafkajs); it connects on first use.
 * - publish: `acks: all`, one request in flight per connection, not idempotent (see `producer`):
 *   a retry after a lost answer may store a batch twice, never zero times. The message key is
 *   the Kafka key (murmur2, as the Java client), so a key keeps its partition and order;
 *   unkeyed messages are spread over the partitions, with no order between them. Missing topics
 *   are created with `partitions` partitions. Publishes made while a request is in flight go
 *   together in the next request (see `lane`).
 * - subscribe: one consumer per subscription. A member handles up to `concurrency` partitions at
 *   once, each in order. Offsets are committed in the background once callbacks resolved: the
 *   latest handled offset of each partition, with at most one OffsetCommit in flight, so that a
 *   callback never waits for a commit. A partition is handled in order, so every offset below a
 *   committed one was handled: at-least-once holds. A rejection rewinds the partition and pauses
 *   it for `redeliveryDelayMs`. A new group starts at the end of the topic.
 * - Before leaving (stop, close) a member commits what it handled, for up to CLOSE_WAIT_MS; at a
 *   rebalance it sends what is pending at once. A commit that fails (say, the generation ended
 *   first) is logged, and its messages are delivered again to the partition's next owner.
 * - close() leaves callbacks in flight uncommitted, so that another member receives them again.
 *
 * @example
 * const broker = createKafkaBroker({ brokers: ['127.0.0.1:9092'] });
 * await broker.publish('orders', [{ key: '42', headers: {}, value: Buffer.from('{}') }]);
 */
export function createKafkaBroker(options: KafkaBrokerOptions): Broker {
  const settings = validate(options);
  const logger = options.logger ?? consoleLogger;
  const members = new Set<{ abandon(): Promise<void> }>();
  const clients: { disconnect(): Promise<void> }[] = [];
  const topicsReady = new Map<string, Promise<void>>();
  /** Topics known to exist: a publish to one skips the wait on `topicsReady`. */
  const existingTopics = new Set<string>();
  const sockets = new Set<Socket>();
  let closed = false;

  const library = memo(async () => {
    const loaded = await loadPeer<KafkaModule>('kafkajs', 'Kafka adapter');
    // kafkajs is CommonJS: depending on the loader its exports are named or under `default`.
    const lib = typeof loaded.Kafka === 'function' ? loaded : (loaded as unknown as { default: KafkaModule }).default;
    const custom = (options.clientOptions ?? {}) as Partial<KafkaConfig>;
    const connect = custom.socketFactory ?? openSocket;
    const config: KafkaConfig = {
      clientId: options.clientId ?? 'eventwire',
      connectionTimeout: 3000, // kafkajs's 1 s is too short for TLS to a remote cluster
      // Bounded, so that an unreachable cluster fails a publish after ~6 s instead of hanging.
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 },
      ...custom,
      ...(options.clientId === undefined ? {} : { clientId: options.clientId }),
      brokers: [...options.brokers],
      logLevel: lib.logLevel.WARN,
      // After close(), kafkajs reports its own teardown, which nobody can act on.
      logCreator: () => (entry) => closed || forwardLog(logger, entry),
      socketFactory: (args) => track(connect(args)),
    };
    // Each member's consumer gets a client of its own, so that a stalled one can be replaced with
    // its sockets, and whose retries outlast a broker restart (see MEMBER_RETRY). Publishes and
    // admin requests keep the bounded retries above.
    const consumerClient = (own: Set<Socket>): Kafka =>
      new lib.Kafka({ ...config, retry: custom.retry ?? MEMBER_RETRY, socketFactory: (args) => track(connect(args), own) });
    return { lib, kafka: new lib.Kafka(config), consumerClient, retry: custom.retry ?? MEMBER_RETRY };
  });
  /**
   * Every socket is tracked so that close() can end it: kafkajs leaves some open when a consumer
   * stops during a rebalance, and reconnects while it retries after a disconnect.
   */
  const track = (socket: Socket, own?: Set<Socket>): Socket => {
    socket.on('error', () => {}); // kafkajs listens too; destroying with an error must never go unheard
    if (closed) socket.destroy(new MessagingClosedError());
    for (const set of own === undefined ? [sockets] : [sockets, own]) {
      set.add(socket);
      socket.once('close', () => set.delete(socket));
    }
    return socket;
  };
  /** The error a user can act on when `error` (or its cause) says the cluster could not be reached. */
  const unreachable = async (error: unknown): Promise<BrokerUnreachableError | undefined> => {
    // Its error classes are spread into the CommonJS exports, which an ES import may not name.
    const exported = (await library()).lib as Partial<KafkaModule> & { readonly default?: Partial<KafkaModule> };
    const ConnectionError = exported.KafkaJSConnectionError ?? exported.default?.KafkaJSConnectionError;
    if (ConnectionError === undefined) return undefined;
    let cause: unknown = error;
    for (let depth = 0; depth < 5 && cause instanceof Error; depth += 1, cause = cause.cause) {
      if (cause instanceof ConnectionError) return new BrokerUnreachableError('Kafka', options.brokers.join(', '), cause.message, { cause: error });
    }
    return undefined;
  };
  const connected = <T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> => {
    clients.push(client);
    return client.connect().then(() => client);
  };
  const admin = memo(async () => connected((await library()).kafka.admin()));
  const producer = memo(async () => {
    const { lib, kafka } = await library();
    // The Java-compatible partitioner: a key keeps its partition (and so its order); unkeyed
    // messages are spread over the partitions, so that every member of a group gets work.
    const createPartitioner = lib.Partitioners.DefaultPartitioner;
    // Not kafkajs's idempotent producer: when a Produce request fails after Kafka stored the batch
    // (the connection dropped before the answer), it rolls the partition's sequence number back,
    // the next batch to that partition reuses it, and Kafka acknowledges that batch as a duplicate
    // without storing it: a silent loss (found by faults/scenarios/connection-cut.ts). Without
    // sequence numbers a retry can store a batch twice instead, which at-least-once allows.
    // One request in flight per connection keeps a batch's retries in order, as idempotence did.
    return connected(kafka.producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner }));
  });

  const ensureTopics = async (topics: readonly string[]): Promise<void> => {
    const missing = [...new Set(topics)].filter((topic) => !topicsReady.has(topic));
    if (missing.length > 0) {
      const created = admin().then(async (client) => {
        // Listed first: usually the topics exist, and creating one that exists costs a request
        // to the controller and an error line from kafkajs (see forwardLog).
        const existing = new Set(await client.listTopics());
        const absent = missing.filter((topic) => !existing.has(topic));
        if (absent.length === 0) return;
        const specs = absent.map((topic) => ({ topic, numPartitions: settings.partitions }));
        // false: another client created them since our listing, and kafkajs did not wait for their
        // leaders; a publish before the election fails once and is logged as an error.
        if (!(await client.createTopics({ topics: specs, waitForLeaders: true }))) await leadersElected(client, absent);
      });
      const forget = (topic: string) => (error: unknown) => {
        topicsReady.delete(topic); // the next call tries again
        throw error;
      };
      for (const topic of missing) topicsReady.set(topic, created.then(() => void existingTopics.add(topic), forget(topic)));
    }
    await Promise.all(topics.map((topic) => topicsReady.get(topic)));
  };

  /**
   * Publishes wait for the producer's one request in flight and then go together: a hundred
   * concurrent sends become one or two Produce requests instead of a hundred queued ones, and a
   * lone send goes out at once. Bounded below Kafka's default `message.max.bytes` (1 MiB per
   * partition batch), so that a coalesced request never fails where its parts alone would pass.
   */
  const lane = coalesce<{ readonly topic: string; readonly messages: readonly OutgoingMessage[] }>(async (items) => {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, messages } of items) {
      let records = byTopic.get(topic);
      if (records === undefined) byTopic.set(topic, (records = []));
      for (const message of messages) records.push({ key: message.key ?? null, value: message.value, headers: message.headers });
    }
    const client = await producer();
    await client.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, records]) => ({ topic, messages: records })) });
  }, { maxItems: 1000, maxBytes: 512 * 1024 });

  const startMember = async (request: SubscribeRequest, deliver: DeliveryCallback): Promise<Subscription> => {
    const { lib, consumerClient, retry } = await library();
    await ensureTopics(request.topics);
    const offsets = await admin();
    if (closed) throw new MessagingClosedError();
    const { groupId, topics } = request;
    const { sessionTimeoutMs, heartbeatIntervalMs, redeliveryDelayMs, stallTimeoutMs } = settings;
    /** The kafkajs consumer in use and its sockets; replaced when the stall guard rejoins. */
    let current: { readonly consumer: Consumer; readonly sockets: Set<Socket> };
    const openConsumer = (): Consumer => {
      const own = new Set<Socket>();
      const opened: Consumer = consumerClient(own).consumer({
        groupId,
        sessionTimeout: sessionTimeoutMs,
        heartbeatInterval: heartbeatIntervalMs,
        maxWaitTimeInMs: FETCH_WAIT_MS,
        allowAutoTopicCreation: false,
        // A replaced consumer must not come back to life after a crash.
        retry: { ...retry, restartOnFailure: async () => opened === consumer },
        // kafkajs's round-robin second, for groups shared with plain kafkajs consumers.
        partitionAssigners: [bySubscription(lib), lib.PartitionAssigners.roundRobin],
      });
      current = { consumer: opened, sockets: own };
      consumer = opened;
      listen(opened);
      return opened;
    };
    let consumer: Consumer;
    /** Partitions assigned at the latest join, per topic. */
    let assigned: Record<string, number[]> = {};
    let state: 'running' | 'draining' | 'closed' = 'running';
    const isClosed = (): boolean => state === 'closed'; // for reads after an await, which TS narrows wrongly
    let inFlight = 0;
    const idle: (() => void)[] = [];
    const timers = new Set<NodeJS.Timeout>();
    const ready = deferred();
    const done = deferred();
    // Failures surface through subscribe() or `closed`; unobserved, they must not crash the process.
    ready.promise.catch(() => {});
    done.promise.catch(() => {});
    let positioning = Promise.resolve();
    let running = Promise.resolve();
    let stopping: Promise<void> | undefined;

    // Offset commits, coalesced: the next offset of the latest handled message per partition,
    // sent in the background with one OffsetCommit in flight (two at a rebalance, see below);
    // what is handled meanwhile waits and goes in the next one. The offsets of one partition are
    // sent in the order they were handled.
    /** Per topic, per partition: the offset of the latest handled message not yet sent. */
    const uncommitted = new Map<string, Map<number, string>>();
    const sending = new Set<Promise<void>>();
    let committing: Promise<void> | undefined;
    const commitPending = (): Promise<void> => {
      // Kafka wants the offset of the next message to read: one past the last handled.
      const offsets: { topic: string; partition: number; offset: string }[] = [];
      for (const [topic, partitions] of uncommitted) {
        for (const [partition, offset] of partitions) offsets.push({ topic, partition, offset: (BigInt(offset) + 1n).toString() });
      }
      uncommitted.clear();
      const sent: Promise<void> = consumer
        .commitOffsets(offsets)
        .catch((error: unknown) => {
          // Typically a rebalance moved the partitions: their next owner receives the messages again.
          logger.warn('Kafka offset commit failed; the messages may be delivered again', { groupId, offsets, error });
        })
        .finally(() => sending.delete(sent));
      sending.add(sent);
      return sent;
    };
    const commitLater = (topic: string, partition: number, offset: string): void => {
      const partitions = uncommitted.get(topic);
      if (partitions === undefined) uncommitted.set(topic, new Map([[partition, offset]]));
      else partitions.set(partition, offset);
      committing ??= (async () => {
        try {
          while (uncommitted.size > 0) await commitPending();
        } finally {
          committing = undefined;
        }
      })();
    };
    /** Resolves once every offset recorded so far was committed, or its commit failed. */
    const flushCommits = async (): Promise<void> => {
      while (committing !== undefined || sending.size > 0) await Promise.all([committing, ...sending]);
    };

    const shutdown = (): Promise<void> =>
      (stopping ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        clearInterval(beat);
        guard.stop();
        await bounded(running, CLOSE_WAIT_MS); // disconnecting before run() settled can leave it consuming (kafkajs#1639)
        // Once disconnected, kafkajs drops commits silently: what was handled is committed first.
        // Bounded: a broker that went silent (a network partition) does not answer before
        // kafkajs's request timeout. Uncommitted, the messages go again to the next owner.
        await bounded(flushCommits(), CLOSE_WAIT_MS);
        // Bounded too: a silent broker never answers the LeaveGroup. close() ends the sockets.
        const left = consumer.disconnect().catch((error: unknown) => logger.warn('Kafka consumer did not disconnect cleanly', { groupId, error }));
        await bounded(left, CLOSE_WAIT_MS);
        members.delete(member);
      })());
    const fail = (error: unknown): void => {
      if (state === 'closed') return;
      state = 'closed';
      ready.reject(error);
      done.reject(error);
      void shutdown();
    };
    const member = {
      abandon(): Promise<void> {
        state = 'closed';
        for (const abandon of [...abandonable]) abandon();
        for (const release of idle.splice(0)) release();
        ready.reject(new MessagingClosedError());
        done.resolve();
        return shutdown();
      },
    };
    members.add(member);

    // kafkajs resolves "latest" lazily, at its first fetch, so a message published just after
    // subscribe() resolved could be skipped. Instead, on each join, the partitions the group never
    // committed are set to their current end: seek for this member, commit for the whole group.
    const position = async (assignment: Record<string, number[]>): Promise<void> => {
      const assigned = Object.keys(assignment);
      if (assigned.length === 0) return;
      const starts: { topic: string; partition: number; offset: string }[] = [];
      for (const { topic, partitions } of await offsets.fetchOffsets({ groupId, topics: assigned })) {
        const fresh = partitions.filter((p) => Number(p.offset) < 0 && assignment[topic]?.includes(p.partition));
        if (fresh.length === 0) continue;
        const ends = await offsets.fetchTopicOffsets(topic);
        for (const { partition } of fresh) starts.push({ topic, partition, offset: ends.find((end) => end.partition === partition)?.high ?? '0' });
      }
      if (starts.length === 0) return;
      for (const start of starts) consumer.seek(start);
      await consumer.commitOffsets(starts);
    };
    /** Events of a consumer that was replaced are ignored. */
    const listen = (client: Consumer): void => {
      client.on(client.events.GROUP_JOIN, ({ payload }) => {
        if (state !== 'running' || client !== consumer) return; // kafkajs may rejoin while it stops
        assigned = payload.memberAssignment;
        // On failure, the next join (after the rebalance or the restart that caused it) retries.
        positioning = positioning
          .then(() => position(payload.memberAssignment))
          .then(ready.resolve, (error: unknown) => logger.warn('Could not position the Kafka consumer group', { groupId, error }));
      });
      // kafkajs rejoins right after this event, without a hook to wait on: what is pending is sent
      // now, behind a commit in flight if there is one (on the same coordinator connection, which
      // Kafka answers in order), so that it reaches the coordinator before this member's JoinGroup
      // and is accepted in the generation that is ending.
      client.on(client.events.REBALANCING, () => {
        if (uncommitted.size > 0 && client === consumer) void commitPending();
      });
      client.on(client.events.CRASH, ({ payload }) => {
        if (client !== consumer) return;
        if (payload.restart) logger.warn('Kafka consumer crashed; kafkajs restarts it', { groupId, error: payload.error });
        else fail(payload.error);
      });
      client.on(client.events.FETCH, () => {
        if (client === consumer) guard.fetched();
      });
    };

    // Rewinds and pauses the partition. On a throw the consumer is restarting after a crash: it
    // resumes from the committed offset anyway, unpaused.
    const redeliverLater = (topic: string, partition: number, offset: string): void => {
      const partitions = [{ topic, partitions: [partition] }];
      try {
        consumer.seek({ topic, partition, offset });
        consumer.pause(partitions);
      } catch {
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        try {
          if (state === 'running') consumer.resume(partitions);
        } catch {
          // restarting, see above
        }
      }, redeliveryDelayMs);
      timers.add(timer);
    };

    // kafkajs heartbeats only between messages: while a callback runs, this member heartbeats on
    // its own, or a slow callback would cost it its partitions. One timer per member, not per message.
    let heartbeat: (() => Promise<void>) | undefined;
    const beat = setInterval(() => {
      if (inFlight > 0) void heartbeat?.().catch(() => {});
    }, heartbeatIntervalMs);
    beat.unref();
    /** The callbacks in flight, told when close() abandons them (their outcome no longer counts). */
    const abandonable = new Set<() => void>();

    const eachMessage = (payload: EachMessagePayload): Promise<void> => {
      // After abort or close, fetched messages stay uncommitted for the partition's next owner.
      if (state !== 'running') return Promise.resolve();
      const { topic, partition, message } = payload;
      heartbeat = payload.heartbeat;
      inFlight += 1;
      return new Promise<void>((resolve) => {
        let over = false;
        const finish = (outcome: 'resolved' | 'rejected' | 'abandoned'): void => {
          if (over) return;
          over = true;
          abandonable.delete(abandon);
          if (outcome === 'rejected' && !isClosed()) redeliverLater(topic, partition, message.offset);
          else if (outcome === 'resolved' && !isClosed()) commitLater(topic, partition, message.offset);
          inFlight -= 1;
          if (inFlight === 0) for (const release of idle.splice(0)) release();
          resolve();
        };
        const abandon = (): void => finish('abandoned');
        abandonable.add(abandon);
        try {
          deliver(toIncoming(topic, partition, message)).then(() => finish('resolved'), () => finish('rejected'));
        } catch {
          finish('rejected');
        }
      });
    };

    const drain = async (): Promise<void> => {
      if (state !== 'running') return;
      state = 'draining';
      try {
        consumer.pause(topics.map((topic) => ({ topic })));
      } catch {
        // restarting after a crash: nothing is fetched
      }
      if (inFlight > 0) await new Promise<void>((resolve) => idle.push(resolve));
      await shutdown();
      state = 'closed';
      done.resolve();
    };

    const concurrency = Math.max(1, Math.floor(request.concurrency)); // kafkajs hangs with no worker
    /** Connects a new consumer and runs it; messages fetched by a replaced one are not delivered. */
    const join = async (): Promise<void> => {
      const client = openConsumer();
      await client.connect();
      await client.subscribe({ topics: [...topics], fromBeginning: false });
      running = client.run({
        autoCommit: false,
        partitionsConsumedConcurrently: concurrency,
        eachMessage: (payload) => (client === consumer ? eachMessage(payload) : Promise.resolve()),
      });
      running.catch(fail);
    };

    /** Replaces a consumer that stalled: commits what it handled, leaves, and joins anew. */
    const rejoin = async (): Promise<void> => {
      logger.warn('Kafka consumer stalled: its partitions have messages waiting but it fetched nothing; rejoining the group with a new connection', { groupId, stallTimeoutMs });
      await bounded(flushCommits(), CLOSE_WAIT_MS);
      const stalled = current;
      if (state !== 'running') return;
      await join();
      // After the switch, so that the old consumer's goodbye events are ignored.
      await bounded(stalled.consumer.disconnect().catch(() => {}), CLOSE_WAIT_MS);
      // With an error: kafkajs fails a connection's pending requests on 'error', not on 'close'
      // (a plain destroy leaves a swallowed Fetch waiting for its 30 s request timeout).
      for (const socket of stalled.sockets) socket.destroy(new Error('the member stalled and was replaced'));
    };
    const lagging = async (): Promise<boolean> => {
      const topicsAssigned = Object.keys(assigned).filter((topic) => (assigned[topic] ?? []).length > 0);
      if (topicsAssigned.length === 0) return false;
      for (const { topic, partitions } of await offsets.fetchOffsets({ groupId, topics: topicsAssigned })) {
        const ends = await offsets.fetchTopicOffsets(topic);
        for (const { partition, offset } of partitions) {
          if (!(assigned[topic] ?? []).includes(partition)) continue;
          const end = ends.find((candidate) => candidate.partition === partition);
          const from = Number(offset) >= 0 ? Number(offset) : Number(end?.low ?? 0);
          if (Number(end?.high ?? 0) > from) return true;
        }
      }
      return false;
    };
    const guard = new StallGuard({ timeoutMs: stallTimeoutMs, busy: () => inFlight > 0, lagging, rejoin });

    try {
      await join();
      await ready.promise;
      guard.start();
    } catch (error) {
      fail(error);
      await shutdown();
      throw error;
    }
    if (request.signal.aborted) void drain();
    else request.signal.addEventListener('abort', () => void drain().catch(fail), { once: true });
    return { closed: done.promise };
  };

  return {
    name: 'kafka',
    capabilities,
    async publish(topic, messages, signal) {
      if (closed) throw new MessagingClosedError();
      signal?.throwIfAborted();
      if (messages.length === 0) return;
      try {
        if (!existingTopics.has(topic)) await abortable(ensureTopics([topic]), signal);
        let bytes = 0;
        for (const message of messages) bytes += message.value.length + RECORD_OVERHEAD;
        await lane.push({ topic, messages }, bytes, signal);
      } catch (error) {
        if ((signal?.aborted === true && error === signal.reason) || error instanceof EventwireError) throw error;
        if (closed) throw new MessagingClosedError();
        const down = await unreachable(error);
        if (down !== undefined) throw new PublishError(topic, down.message, { cause: down });
        const detail = error instanceof Error ? error.message : String(error);
        throw new PublishError(topic, `Kafka did not acknowledge ${messages.length} message(s) to "${topic}": ${detail}`, { cause: error });
      }
    },
    async subscribe(request, deliver) {
      if (closed) throw new MessagingClosedError();
      if (request.signal.aborted) return { closed: Promise.resolve() };
      return startMember(request, deliver).catch(async (error: unknown) => {
        throw (await unreachable(error)) ?? error;
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      const goodbyes = [...[...members].map((member) => member.abandon()), ...clients.map((client) => client.disconnect())];
      await bounded(Promise.allSettled(goodbyes), CLOSE_WAIT_MS);
      for (const socket of sockets) socket.destroy(new MessagingClosedError()); // with an error: see rejoin
    },
  };
}

/**
 * The factory used by `configureMessaging({ broker: 'kafka' })`: `url` is the bootstrap list and
 * `brokerOptions` may hold `clientId`, `partitions` and the timings of {@link KafkaBrokerOptions}.
 *
 * @example
 * const broker = kafkaBrokerFactory({ url: 'k1:9092,k2:9092', clientOptions: {}, brokerOptions: { partitions: 6 }, logger });
 */
export function kafkaBrokerFactory(config: BrokerConfig): Broker {
  const unknown = Object.keys(config.brokerOptions).find((key) => !tunables.includes(key));
  if (unknown !== undefined) {
    throw new InvalidArgumentError('brokerOptions', `Unknown Kafka broker option \`${unknown}\` in \`brokerOptions\`; expected one of ${tunables.join(', ')}.`);
  }
  return createKafkaBroker({
    ...(config.brokerOptions as Omit<KafkaBrokerOptions, 'brokers'>),
    brokers: config.url.split(',').map((address) => address.trim()).filter((address) => address !== ''),
    clientOptions: config.clientOptions,
    logger: config.logger,
  });
}

function validate(options: KafkaBrokerOptions): Settings {
  const { brokers, clientId, clientOptions } = options;
  if (!Array.isArray(brokers) || brokers.length === 0) {
    throw new InvalidArgumentError('brokers', `Expected \`brokers\` to be a non-empty array of "host:port" strings, got ${show(brokers)}.`);
  }
  for (const address of brokers as unknown[]) {
    const port = typeof address === 'string' ? Number(/^[^\s:/,]+:(\d{1,5})$/.exec(address)?.[1]) : NaN;
    if (!(port >= 1 && port <= 65535)) throw new InvalidArgumentError('brokers', `Expected every entry of \`brokers\` to be "host:port", got ${show(address)}.`);
  }
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) {
    throw new InvalidArgumentError('clientId', `Expected \`clientId\` to be a non-empty string, got ${show(clientId)}.`);
  }
  if (clientOptions !== undefined && (typeof clientOptions !== 'object' || clientOptions === null || Array.isArray(clientOptions))) {
    throw new InvalidArgumentError('clientOptions', `Expected \`clientOptions\` to be an object, got ${show(clientOptions)}.`);
  }
  const integer = (name: keyof Settings, fallback: number, min: 0 | 1): number => {
    const value: unknown = options[name] ?? fallback;
    if (typeof value === 'number' && Number.isInteger(value) && value >= min) return value;
    throw new InvalidArgumentError(name, `Expected \`${name}\` to be a ${min === 1 ? 'positive' : 'non-negative'} integer, got ${show(value)}.`);
  };
  const base = {
    partitions: integer('partitions', 3, 1),
    sessionTimeoutMs: integer('sessionTimeoutMs', 30_000, 1),
    heartbeatIntervalMs: integer('heartbeatIntervalMs', 3_000, 1),
    redeliveryDelayMs: integer('redeliveryDelayMs', 1_000, 0),
  };
  const { heartbeatIntervalMs: beat, sessionTimeoutMs: session } = base;
  if (beat >= session) {
    throw new InvalidArgumentError('heartbeatIntervalMs', `Expected \`heartbeatIntervalMs\` (${beat}) to be lower than \`sessionTimeoutMs\` (${session}); a third of it is usual.`);
  }
  const stall = integer('stallTimeoutMs', 2 * session, 1);
  if (stall <= session) {
    throw new InvalidArgumentError('stallTimeoutMs', `Expected \`stallTimeoutMs\` (${stall}) to be greater than \`sessionTimeoutMs\` (${session}): a rebalance waiting for a dead member's session fetches nothing either.`);
  }
  return { ...base, stallTimeoutMs: stall };
}

function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const key = message.key === null ? undefined : message.key.toString('utf8');
  // Kafka keeps no per-message delivery count.
  return { topic, key, headers: decodeHeaders(message.headers), value: message.value ?? Buffer.alloc(0), id: `${partition}:${message.offset}`, deliveryCount: undefined };
}

function decodeHeaders(headers: IHeaders | undefined): Headers {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw; // a repeated header: the last one wins
    if (value !== undefined) decoded[name] = value.toString();
  }
  return decoded;
}

/** Forwards kafkajs warnings and errors with chosen fields only: entries can hold stacks and payloads. */
function forwardLog(logger: Logger, { level, namespace, log }: LogEntry): void {
  // kafkajs logs every CreateTopics answer with an error in it, also "the topic exists" when
  // another process created it between our listing and our request, which its admin treats as
  // success. Any other error rejects createTopics and reaches the caller (publish or subscribe).
  if (log.message.startsWith('Response CreateTopics')) return;
  // A connection reports each failure of its own (refused, timed out, an error answer), and the
  // client that used it reports it again with its retry count: the latter alone is forwarded,
  // so that an unreachable cluster costs one line per attempt, not two.
  if (namespace === 'Connection') return;
  const fields: Record<string, unknown> = { namespace };
  for (const name of ['broker', 'groupId', 'topic', 'retryCount', 'error']) if (log[name] !== undefined) fields[name] = log[name];
  if (Number(level) <= 1) logger.error(`kafkajs: ${log.message}`, fields);
  else logger.warn(`kafkajs: ${log.message}`, fields);
}

/**
 * Round-robin over the members subscribed to each topic. kafkajs's own assigner spreads the
 * leader's topics over all members, so in a group whose members subscribe to different topics
 * some partitions would reach members that drop them, and others nobody.
 */
function bySubscription(lib: KafkaModule): PartitionAssigner {
  const { MemberMetadata, MemberAssignment } = lib.AssignerProtocol;
  const name = 'EventwireRoundRobin';
  return ({ cluster }) => ({
    name,
    version: 0,
    protocol: ({ topics }) => ({ name, metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }),
    async assign({ members }) {
      const wants = members
        .map(({ memberId, memberMetadata }) => ({ memberId, topics: MemberMetadata.decode(memberMetadata)?.topics ?? [], plan: {} as Assignment }))
        .sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
      const topics = [...new Set(wants.flatMap((member) => member.topics))].sort();
      await cluster.addMultipleTargetTopics(topics); // the leader may not know the others' topics
      let turn = 0;
      for (const topic of topics) {
        const takers = wants.filter((member) => member.topics.includes(topic));
        for (const { partitionId } of cluster.findTopicPartitionMetadata(topic)) {
          const { plan } = takers[turn++ % takers.length] as (typeof takers)[number];
          (plan[topic] ??= []).push(partitionId);
        }
      }
      return wants.map(({ memberId, plan }) => ({ memberId, memberAssignment: MemberAssignment.encode({ version: 0, assignment: plan, userData: Buffer.alloc(0) }) }));
    },
  });
}

/** kafkajs's own socket factory, which it does not export. */
function openSocket({ host, port, ssl, onConnect }: ISocketFactoryArgs): Socket {
  const socket = ssl ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
}

/**
 * Waits until every partition of `topics` has a leader, as createTopics' `waitForLeaders` does:
 * at most about 5 s, after which a publish still retries on its own.
 */
async function leadersElected(admin: Admin, topics: string[]): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const found = await admin.fetchTopicMetadata({ topics }).catch(() => undefined);
    if (found?.topics.every(({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0)) === true) return;
    await sleep(100);
  }
}

/** Creates once, on first call; after a failure the next call tries again. */
function memo<T>(create: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () =>
    (pending ??= create().catch((error: unknown) => {
      pending = undefined;
      throw error;
    }));
}

function show(value: unknown): string {
  if (typeof value === 'string' || Array.isArray(value)) return JSON.stringify(value);
  return typeof value === 'object' && value !== null ? 'an object' : String(value);
}
