import { BrokerLoginRefusedError, BrokerUnreachableError, MessagingClosedError, RedisClusterRequiredError, RedisSentinelNameRequiredError, type BrokerConnectionError } from '../../lib/errors/index.js';
import { isLoginRefused, redactAuth } from './redact-auth.js';
import { loadPeer } from '../../lib/config/load-peer.js';
import type { Logger } from '../../lib/config/logger.js';
import { redactUrl } from '../../lib/config/redact.js';
import type { BrokerHealth, ConnectionState } from '../../lib/broker.js';
import { newClient, replyCode, type ClientTarget, type RedisClient } from './client.js';
import { defineAppendScript } from './publish.js';

/** How long a new cluster client may take to load the slot map, or a Sentinel client to reach the primary. */
export const CLUSTER_READY_MS = 5000;

/** A member's dedicated reading client and the topics its blocking XREADGROUP reads. */
export interface ReadConnection {
  readonly client: RedisClient;
  readonly topics: readonly string[];
}

/**
 * The ioredis clients of one broker: a shared one (publishing, XACK, XCLAIM, group creation)
 * made on first use, and dedicated readers for the members' blocking XREADGROUPs. Remembers why
 * each client is not connected, while it is not, so that errors can name the cause. On a Redis
 * Cluster every client is ioredis's cluster client (client.ts).
 *
 * @example
 * const connection = new RedisConnection(settings, logger);
 * const redis = await connection.shared();
 */
export class RedisConnection {
  readonly #target: ClientTarget;
  /** The address errors and logs name: the first node's URL (redacted when shown). */
  readonly #url: string;
  readonly #logger: Logger;
  readonly #clients = new Set<RedisClient>();
  /** Why each client is not connected, while it is not: publish errors name it. */
  readonly #errors = new WeakMap<RedisClient, Error>();
  /** A cluster client's first failure to reach a node while it is not ready: it names the node. */
  readonly #nodeErrors = new WeakMap<RedisClient, Error>();
  #ioredis: Promise<typeof import('ioredis')> | undefined;
  #shared: Promise<RedisClient> | undefined;
  #closed = false;
  /** The last connection error and when it came, for health(). */
  #lastError: { readonly message: string; readonly at: string } | undefined;

  constructor(target: ClientTarget, logger: Logger) {
    this.#target = target;
    this.#url = target.url[0] as string;
    this.#logger = logger;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The shared client, connected on first use (tried again on the next use if that failed). */
  shared(): Promise<RedisClient> {
    this.#shared ??= this.connect('shared').catch((error: unknown) => {
      this.#shared = undefined;
      throw error;
    });
    return this.#shared;
  }

  /**
   * Dedicated clients for a member's blocking reads of `topics`: one for them all on a single
   * server; on a cluster one per topic, because one XREADGROUP may only name streams of one hash
   * slot and a blocked connection serves nothing else.
   */
  async readers(topics: readonly string[]): Promise<ReadConnection[]> {
    const groups = this.#target.cluster ? topics.map((topic) => [topic]) : [topics];
    const readers: ReadConnection[] = [];
    try {
      for (const group of groups) readers.push({ client: await this.connect('reader'), topics: group });
    } catch (error) {
      for (const { client } of readers) this.release(client);
      throw error;
    }
    return readers;
  }

  /** A new client; `role` names it in the logs of its connection failures and recoveries. */
  async connect(role: string): Promise<RedisClient> {
    const ioredis = await (this.#ioredis ??= loadPeer<typeof import('ioredis')>('ioredis', 'Redis adapter'));
    if (this.#closed) throw new MessagingClosedError();
    const client = newClient(ioredis, this.#target);
    this.#clients.add(client);
    defineAppendScript(client);
    this.#watch(client, role);
    if (this.#queues) await this.#clusterReady(client);
    return client;
  }

  /**
   * True for the clients that keep their commands queued for as long as no node answers: a
   * cluster client, and a Sentinel client while no Sentinel names a primary (it asks them again
   * and again without counting `maxRetriesPerRequest`, which a single-server client obeys).
   */
  get #queues(): boolean {
    return this.#target.cluster || this.#target.sentinel !== undefined;
  }

  /**
   * A new client that would queue (see {@link #queues}) is first given at most
   * {@link CLUSTER_READY_MS} to load the slot map or reach the primary Sentinel names; then it
   * is closed and a `BrokerUnreachableError` says why.
   */
  async #clusterReady(client: RedisClient): Promise<void> {
    if (client.status === 'ready') return;
    const ready = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), CLUSTER_READY_MS);
      client.on('ready', () => (clearTimeout(timer), resolve(true)));
    });
    if (await ready) return;
    this.release(client);
    const cause = (this.#nodeErrors.get(client) ?? this.#errors.get(client))?.message ?? 'no node answered';
    const what = this.#target.sentinel === undefined ? 'no node of the cluster gave its slot map' : `no Sentinel led to a primary named "${this.#target.sentinel}"`;
    throw new BrokerUnreachableError('Redis', this.#url, `${what} within ${CLUSTER_READY_MS} ms (${cause})`);
  }

  /**
   * Throws the `BrokerUnreachableError` of a cluster client that lost every node, or of a
   * Sentinel client that lost its primary (during a failover too), rather than let a command wait
   * in its queue until one is back. A cluster client that lost some nodes stays ready: its
   * commands are retried and follow the slots to the replicas promoted in their place.
   */
  assertUsable(client: RedisClient): void {
    const cause = this.#queues && client.status !== 'ready' ? (this.#nodeErrors.get(client) ?? this.#errors.get(client)) : undefined;
    if (cause !== undefined) throw new BrokerUnreachableError('Redis', this.#url, cause.message);
  }

  #watch(client: RedisClient, role: string): void {
    const context = { broker: 'redis', role, url: redactUrl(this.#url) };
    let failing = false;
    client.on('error', (error: Error) => {
      redactAuth(error);
      if (!failing) this.#logger.warn('Redis connection failed; reconnecting', { ...context, error });
      failing = true;
      this.#lastError = { message: error.message, at: new Date().toISOString() };
      if (client.status !== 'ready') this.#errors.set(client, error);
    });
    client.on('ready', () => {
      if (failing) this.#logger.info('Redis connection restored', context);
      failing = false;
      this.#errors.delete(client);
      this.#nodeErrors.delete(client);
    });
    if (!this.#target.cluster) return;
    // A cluster client stays ready while one node is lost: it retries, and finds the replica
    // promoted in its place on its next slot refresh. Each node's failure is logged once.
    const down = new Set<string>();
    client.on('node error', (error: Error, node: string) => {
      this.#lastError = { message: `${node}: ${error.message}`, at: new Date().toISOString() };
      if (client.status !== 'ready' && !this.#nodeErrors.has(client)) this.#nodeErrors.set(client, new Error(this.#lastError.message));
      if (!down.has(node)) this.#logger.warn('A Redis Cluster node is unreachable; the client retries and follows the slots to the node that takes over', { ...context, node, error });
      down.add(node);
    });
    client.on('+node', () => down.clear());
  }

  /**
   * The clients' state, without a round trip: `reconnecting` while any client is down (ioredis
   * retries on its own), `failed` when one gave up, `idle` before the first client.
   */
  health(): BrokerHealth {
    if (this.#closed) return { state: 'closed', lastError: this.#lastError };
    if (this.#clients.size === 0) return { state: 'idle', lastError: this.#lastError };
    let state: ConnectionState = 'connected';
    for (const client of this.#clients) {
      if (client.status === 'end') return { state: 'failed', lastError: this.#lastError };
      // A client still making its first connection is not an outage; one that lost it is.
      if (this.#errors.has(client) || client.status === 'reconnecting' || client.status === 'close') state = 'reconnecting';
    }
    return { state, lastError: this.#lastError };
  }

  /** Disconnects a client at once (a blocked command ends now) and forgets it. */
  release(client: RedisClient): void {
    client.disconnect();
    this.#clients.delete(client);
  }

  /**
   * ioredis reports an unreachable server as "Reached the max retries per request limit", which
   * points at a client option; the connection's own error says what is wrong (a refused login is
   * a `BrokerLoginRefusedError`). Undefined while the connection is up: `error` is then Redis's
   * answer to the command.
   */
  unreachable(client: RedisClient, error: unknown): BrokerConnectionError | undefined {
    const cause = this.#errors.get(client);
    if (cause === undefined) return undefined;
    const options = { cause: redactAuth(error) };
    return isLoginRefused(cause) ? new BrokerLoginRefusedError('Redis', this.#url, cause.message, options) : new BrokerUnreachableError('Redis', this.#url, cause.message, options);
  }

  /**
   * What a failed command means for the user: {@link unreachable}'s error, a
   * `RedisClusterRequiredError` when a single-server client met a node of a Redis Cluster
   * (`MOVED`: the key's slot is served elsewhere), a `RedisSentinelNameRequiredError` when it met
   * a Sentinel (a generic `ERR` reply from a server whose INFO says so), or Redis's own error.
   */
  async explain(client: RedisClient, error: unknown): Promise<unknown> {
    const unreachable = this.unreachable(client, error);
    if (unreachable !== undefined) return unreachable;
    if (this.#target.cluster || this.#target.sentinel !== undefined) return error;
    const code = replyCode(error);
    if (code === 'MOVED') return new RedisClusterRequiredError(this.#url, { cause: error });
    if (code === 'ERR' && (await isSentinel(client))) return new RedisSentinelNameRequiredError(this.#url, { cause: error });
    return error;
  }

  /** Refuses new clients at once, waits for `drain()` (the members' last XACKs), then disconnects every client. */
  async close(drain: () => Promise<unknown>): Promise<void> {
    this.#closed = true;
    await drain();
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
  }
}

/** True when `client`'s server says it runs as a Sentinel (`redis_mode:sentinel`); false when it cannot tell. */
async function isSentinel(client: RedisClient): Promise<boolean> {
  const info = await client.info('server').catch(() => '');
  return /^redis_mode:sentinel\r?$/m.test(info);
}

/**
 * Creates the consumer group `group` at the end of each stream (and the stream if missing);
 * a group that exists already is left as it is. Rejects with the first failure.
 *
 * @example
 * await ensureGroups(redis, ['orders'], 'billing');
 */
export async function ensureGroups(redis: RedisClient, topics: readonly string[], group: string): Promise<void> {
  // One command per stream, sent together (not a pipeline: on a cluster the streams' slots may
  // be served by different nodes). BUSYGROUP is Redis's code for "this group exists already".
  const created = topics.map((topic) =>
    redis.xgroup('CREATE', topic, group, '$', 'MKSTREAM').catch((error: unknown) => {
      if (replyCode(error) !== 'BUSYGROUP') throw error;
    }),
  );
  await Promise.all(created);
}
