import type { Redis, RedisOptions } from 'ioredis';
import { BrokerUnreachableError, MessagingClosedError } from '../../lib/errors/index.js';
import { loadPeer } from '../../lib/config/load-peer.js';
import type { Logger } from '../../lib/config/logger.js';
import { redactUrl } from '../../lib/config/redact.js';
import type { BrokerHealth, ConnectionState } from '../../lib/broker.js';
import { firstError } from './codec.js';
import { defineAppendScript } from './publish.js';

const clientDefaults = { maxRetriesPerRequest: 3, connectTimeout: 5000 };

/**
 * The ioredis clients of one broker: a shared one (publishing, XACK, XCLAIM, group creation)
 * made on first use, and one reader per member for its blocking XREADGROUP. Remembers why each
 * client is not connected, while it is not, so that errors can name the cause.
 *
 * @example
 * const connection = new RedisConnection(url, {}, logger);
 * const redis = await connection.shared();
 */
export class RedisConnection {
  readonly #url: string;
  readonly #clientOptions: Readonly<Record<string, unknown>>;
  readonly #logger: Logger;
  readonly #clients = new Set<Redis>();
  /** Why each client is not connected, while it is not: publish errors name it. */
  readonly #errors = new WeakMap<Redis, Error>();
  #ioredis: Promise<typeof import('ioredis')> | undefined;
  #shared: Promise<Redis> | undefined;
  #closed = false;
  /** The last connection error and when it came, for health(). */
  #lastError: { readonly message: string; readonly at: string } | undefined;

  constructor(url: string, clientOptions: Readonly<Record<string, unknown>>, logger: Logger) {
    this.#url = url;
    this.#clientOptions = clientOptions;
    this.#logger = logger;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The shared client, connected on first use. */
  shared(): Promise<Redis> {
    return (this.#shared ??= this.connect('shared'));
  }

  /** A new client; `role` names it in the logs of its connection failures and recoveries. */
  async connect(role: string): Promise<Redis> {
    const { Redis } = await (this.#ioredis ??= loadPeer<typeof import('ioredis')>('ioredis', 'Redis adapter'));
    if (this.#closed) throw new MessagingClosedError();
    // Replies are parsed in ioredis' legacy (RESP2-shaped) mapping, whatever the options say.
    const options = { ...clientDefaults, ...this.#clientOptions, replyMapping: 'legacy' } as RedisOptions & { replyMapping: 'legacy' };
    const client = new Redis(this.#url, options);
    this.#clients.add(client);
    defineAppendScript(client);
    this.#watch(client, role);
    return client;
  }

  #watch(client: Redis, role: string): void {
    const context = { broker: 'redis', role, url: redactUrl(this.#url) };
    let failing = false;
    client.on('error', (error: Error) => {
      if (!failing) this.#logger.warn('Redis connection failed; reconnecting', { ...context, error });
      failing = true;
      this.#lastError = { message: error.message, at: new Date().toISOString() };
      if (client.status !== 'ready') this.#errors.set(client, error);
    });
    client.on('ready', () => {
      if (failing) this.#logger.info('Redis connection restored', context);
      failing = false;
      this.#errors.delete(client);
    });
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
  release(client: Redis): void {
    client.disconnect();
    this.#clients.delete(client);
  }

  /**
   * ioredis reports an unreachable server as "Reached the max retries per request limit", which
   * points at a client option; the connection's own error says what is wrong. Undefined while
   * the connection is up: `error` is then Redis's answer to the command.
   */
  unreachable(client: Redis, error: unknown): BrokerUnreachableError | undefined {
    const cause = this.#errors.get(client);
    return cause === undefined ? undefined : new BrokerUnreachableError('Redis', this.#url, cause.message, { cause: error });
  }

  /** Refuses new clients at once, waits for `drain()` (the members' last XACKs), then disconnects every client. */
  async close(drain: () => Promise<unknown>): Promise<void> {
    this.#closed = true;
    await drain();
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
  }
}

/**
 * Creates the consumer group `group` at the end of each stream (and the stream if missing);
 * a group that exists already is left as it is.
 *
 * @example
 * await ensureGroups(redis, ['orders'], 'billing');
 */
export async function ensureGroups(redis: Redis, topics: readonly string[], group: string): Promise<void> {
  const pipeline = redis.pipeline();
  for (const topic of topics) pipeline.xgroup('CREATE', topic, group, '$', 'MKSTREAM');
  // BUSYGROUP is Redis's error code for "this group exists already", which is what we want.
  const failure = firstError(await pipeline.exec(), (error) => !error.message.startsWith('BUSYGROUP'));
  if (failure !== undefined) throw failure;
}
