import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { Admin, ISocketFactoryArgs, Kafka, KafkaConfig, Producer, RetryOptions } from 'kafkajs';
import { BrokerUnreachableError, MessagingClosedError } from '../../lib/errors/index.js';
import { loadPeer } from '../../lib/config/load-peer.js';
import type { Logger } from '../../lib/config/logger.js';
import { bounded } from '../../lib/waiting.js';
import { ClientSpans } from '../client-spans.js';
import { forwardLog } from './log-bridge.js';
import type { KafkaSettings } from './options.js';
import { SocketHealth } from './socket-health.js';

/** The kafkajs module, named or under `default` depending on the loader. */
export type KafkaModule = typeof import('kafkajs');

/** How long close() waits for goodbyes (LeaveGroup, socket ends) before it ends the sockets. */
export const CLOSE_WAIT_MS = 3000;

/**
 * The retries of a member's client (connections, metadata, coordinator look-ups and the fetch
 * loop): about 30 s of broker outage (a restart) ridden out with the same member id, so that
 * when the broker is back the member's heartbeat is accepted and it fetches again at once. When
 * kafkajs gives up (its "crash") it restarts the consumer under a new member id, and the
 * restarted broker then waits for the old id's session to expire (`sessionTimeoutMs`) before
 * it assigns partitions again. The price: after close() with the broker unreachable, kafkajs's
 * own retries may go on for as long in the background (they open no connection, see `track`).
 */
const MEMBER_RETRY: RetryOptions = { retries: 15, initialRetryTime: 300, maxRetryTime: 2500 };

/**
 * The adapter's link to the cluster: kafkajs loaded on first use, one admin and one producer
 * client, a client per member consumer, and every socket they open, so that close() can end
 * them (kafkajs leaves some open when a consumer stops during a rebalance, and reconnects while
 * it retries after a disconnect). After close() a new socket is destroyed at once.
 *
 * @example
 * const connection = new KafkaConnection(validateKafkaOptions(options)); const admin = await connection.admin();
 */
export class KafkaConnection {
  #closed = false;
  readonly #sockets = new Set<Socket>();
  /** The state its sockets tell, for the broker's health(). */
  readonly sockets = new SocketHealth();
  readonly #clients: { disconnect(): Promise<void> }[] = [];
  readonly #options: KafkaSettings;
  readonly #logger: Logger;
  /** Keeps kafkajs's OpenTelemetry instrumentation off eventwire's own sends and consumers when eventwire traces. */
  readonly clientSpans: ClientSpans;
  /** kafkajs and the base client configuration, loaded once (a failed load is tried again). */
  readonly library = memo(() => this.#load());
  /** The shared admin client, connected once. */
  readonly admin = memo(async (): Promise<Admin> => {
    const { lib, config } = await this.library();
    return this.#connected(new lib.Kafka(config).admin());
  });
  /** The shared producer, connected once; see the adapter's contract for its settings. */
  readonly producer = memo(async (): Promise<Producer> => {
    const { lib, config } = await this.library();
    // Not kafkajs's idempotent producer: when a Produce request fails after Kafka stored the
    // batch (the connection dropped before the answer), it rolls the partition's sequence number
    // back, the next batch to that partition reuses it, and Kafka acknowledges that batch as a
    // duplicate without storing it: a silent loss (found by tools/faults/scenarios/connection-cut.ts).
    // Without sequence numbers a retry can store a batch twice instead, which at-least-once
    // allows. One request in flight per connection keeps a batch's retries in order.
    // The Java-compatible partitioner: a key keeps its partition (and so its order).
    const createPartitioner = lib.Partitioners.DefaultPartitioner;
    return this.#connected(new lib.Kafka(config).producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner }));
  });

  constructor(settings: KafkaSettings) {
    this.#options = settings;
    this.#logger = settings.logger;
    this.clientSpans = new ClientSpans('@opentelemetry/instrumentation-kafkajs', settings.logger);
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * A client of its own for one member consumer, whose sockets also go into `own` (so that a
   * stalled consumer can be replaced with them), and whose retries outlast a broker restart.
   */
  async consumerClient(own: Set<Socket>): Promise<{ readonly kafka: Kafka; readonly retry: RetryOptions; readonly lib: KafkaModule }> {
    const { lib, config } = await this.library();
    const custom = this.#options.clientOptions as Partial<KafkaConfig>;
    const connect = custom.socketFactory ?? openSocket;
    const retry = custom.retry ?? MEMBER_RETRY;
    return { lib, retry, kafka: new lib.Kafka({ ...config, retry, socketFactory: (args) => this.#track(connect(args), own) }) };
  }

  /** The error a user can act on when `error` (or a cause of it) says the cluster is unreachable. */
  async unreachable(error: unknown): Promise<BrokerUnreachableError | undefined> {
    // Its error classes are spread into the CommonJS exports, which an ES import may not name.
    const exported = (await this.library()).lib as Partial<KafkaModule> & { readonly default?: Partial<KafkaModule> };
    const ConnectionError = exported.KafkaJSConnectionError ?? exported.default?.KafkaJSConnectionError;
    if (ConnectionError === undefined) return undefined;
    let cause: unknown = error;
    for (let depth = 0; depth < 5 && cause instanceof Error; depth += 1, cause = cause.cause) {
      if (cause instanceof ConnectionError) return new BrokerUnreachableError('Kafka', this.#options.bootstrapServers.join(', '), cause.message, { cause: error });
    }
    return undefined;
  }

  /** Waits for `goodbyes` and the clients' disconnects (bounded), then ends every socket. */
  async close(goodbyes: readonly Promise<unknown>[]): Promise<void> {
    this.#closed = true;
    this.sockets.close();
    await bounded(Promise.allSettled([...goodbyes, ...this.#clients.map((client) => client.disconnect())]), CLOSE_WAIT_MS);
    // With an error: kafkajs fails a connection's pending requests on 'error', not on 'close'.
    for (const socket of this.#sockets) socket.destroy(new MessagingClosedError());
  }

  async #load(): Promise<{ lib: KafkaModule; config: KafkaConfig }> {
    const loaded = await loadPeer<KafkaModule>('kafkajs', 'Kafka adapter');
    // kafkajs is CommonJS: depending on the loader its exports are named or under `default`.
    const lib = typeof loaded.Kafka === 'function' ? loaded : (loaded as unknown as { default: KafkaModule }).default;
    const { clientId } = this.#options;
    const custom = this.#options.clientOptions as Partial<KafkaConfig>;
    const connect = custom.socketFactory ?? openSocket;
    const config: KafkaConfig = {
      clientId: 'eventwire',
      connectionTimeout: 3000, // kafkajs's 1 s is too short for TLS to a remote cluster
      // Bounded, so that an unreachable cluster fails a publish after ~6 s instead of hanging.
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3000 },
      ...custom,
      ...(clientId === undefined ? {} : { clientId }),
      brokers: [...this.#options.bootstrapServers],
      logLevel: lib.logLevel.WARN,
      // After close(), kafkajs reports its own teardown, which nobody can act on.
      logCreator: () => (entry) => this.#closed || forwardLog(this.#logger, entry),
      socketFactory: (args) => this.#track(connect(args)),
    };
    return { lib, config };
  }

  async #connected<T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(client: T): Promise<T> {
    this.#clients.push(client);
    await client.connect();
    return client;
  }

  #track(socket: Socket, own?: Set<Socket>): Socket {
    socket.on('error', () => {}); // kafkajs listens too; destroying with an error must never go unheard
    this.sockets.watch(socket);
    if (this.#closed) socket.destroy(new MessagingClosedError());
    for (const set of own === undefined ? [this.#sockets] : [this.#sockets, own]) {
      set.add(socket);
      socket.once('close', () => set.delete(socket));
    }
    return socket;
  }
}

/** kafkajs's own socket factory, which it does not export. */
function openSocket({ host, port, ssl, onConnect }: ISocketFactoryArgs): Socket {
  const socket = ssl ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : netConnect({ host, port }, onConnect);
  socket.setKeepAlive(true, 60_000);
  return socket;
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
