import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis, RedisOptions } from 'ioredis';
import type { Broker, BrokerCapabilities, BrokerConfig, DeliveryCallback, Headers, IncomingMessage, OutgoingMessage, SubscribeRequest, Subscription } from '../lib/broker.js';
import { BrokerUnreachableError, InvalidArgumentError, MessagingClosedError, PublishError } from '../lib/errors.js';
import { loadPeer } from '../lib/load-peer.js';
import { consoleLogger, type Logger } from '../lib/logger.js';
import { redactUrl } from '../lib/redact.js';
import { describe, expectBoolean, expectKnownKeys, expectObject } from '../lib/validate.js';

/**
 * Options of {@link createRedisBroker}.
 *
 * @example
 * const options: RedisBrokerOptions = { url: 'redis://127.0.0.1:6379', claimIdleMs: 10_000 };
 */
export interface RedisBrokerOptions {
  /** A `redis://` or `rediss://` URL. Logs show it with the password redacted. */
  readonly url: string;
  /**
   * Passed to ioredis (TLS, password, retry strategy); never logged. Overrides the adapter's
   * defaults `maxRetriesPerRequest: 3` and `connectTimeout: 5000`, which make a command fail within
   * about a second while Redis is unreachable instead of waiting indefinitely. Only `replyMapping`
   * stays `legacy`: the adapter parses those reply shapes.
   */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /** An entry left pending this long by a silent member is taken over by another. Default 30000. */
  readonly claimIdleMs?: number;
  /** How long one XREADGROUP waits for new entries. Default 2000. */
  readonly blockMs?: number;
  /**
   * Trims each stream to about this many entries on every publish (`MAXLEN ~`). Trimming ignores
   * consumer groups: it can delete entries that a group has not read yet. Default: no trimming.
   */
  readonly maxLen?: number;
  /**
   * Appends a batch (the fire-and-forget path sends one per topic per event-loop turn) with one
   * Lua script call instead of a pipeline of XADDs: about half the client's CPU per message, and
   * one command for Redis to parse. Set `false` where the Redis user may not run scripts (an ACL
   * without `@scripting`): batches then go as pipelined XADDs. Default true.
   */
  readonly batchScript?: boolean;
  readonly logger?: Logger;
}

type RawEntry = [id: Buffer, fields: Buffer[] | null];
/** A running subscription, as close() sees it. */
interface Member {
  stop(): void;
  readonly closed: Promise<void>;
}

/**
 * Appends the entries of a batch to one stream, in order. KEYS[1]: the stream. ARGV[1]: the
 * approximate MAXLEN, or '' for none. Then, per entry, the number of field/value pairs followed
 * by the pairs: the same fields a single XADD writes.
 */
const APPEND_SCRIPT = `
local stream, maxlen, last = KEYS[1], ARGV[1], #ARGV
local at, appended = 2, 0
while at <= last do
  local fields = tonumber(ARGV[at])
  if maxlen == '' then
    redis.call('XADD', stream, '*', unpack(ARGV, at + 1, at + 2 * fields))
  else
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', unpack(ARGV, at + 1, at + 2 * fields))
  end
  at = at + 1 + 2 * fields
  appended = appended + 1
end
return appended
`;

/** The client with the append script defined on it (ioredis sends EVALSHA, and EVAL once on NOSCRIPT). */
interface ScriptedRedis extends Redis {
  eventwireAppend(stream: string, maxLen: string | number, ...entries: (string | number | Buffer)[]): Promise<number>;
}

const capabilities: BrokerCapabilities = { persistent: true, deliveryCount: true, keyAffinity: false };
const clientDefaults = { maxRetriesPerRequest: 3, connectTimeout: 5000 };
/**
 * Once a member stops (or the broker closes), how long each XACK still unanswered is awaited
 * before `closed` (or `close()`) settles anyway. A Redis that went silent (a network partition)
 * never answers, and ioredis has no command timeout by default: stopping would hang. An entry
 * whose XACK did not complete stays pending and is delivered again, as after a crash.
 */
const STOP_ACK_WAIT_MS = 3000;

/**
 * A broker on Redis Streams (Redis 6.2 or later). Connects on first use.
 *
 * - One stream per topic, named after it. An entry holds `value` (the payload bytes), `key` (only
 *   when set) and `headers` (a JSON object of strings, only when not empty).
 * - One consumer group per group id, created at the end of the stream. Each subscription is a
 *   consumer of its own name that reads with a blocking XREADGROUP on a dedicated connection.
 * - An entry is acknowledged (XACK) once its callback resolved: the entries of a topic handled
 *   in one event-loop turn share one XACK, sent at the end of that turn. Its slot (`concurrency`)
 *   is free for the next entry at once; the entry stays held (heartbeat included) until Redis
 *   answered. Stopping and close() wait for those XACKs to be sent and answered, each for at most
 *   STOP_ACK_WAIT_MS, so that none is cut off half-way; callbacks that finish after close() send none.
 * - A rejected entry is taken again with XCLAIM after a second (less when claimIdleMs is short).
 *   One left pending by a member that died is taken over with XAUTOCLAIM once idle for
 *   `claimIdleMs`, checked every `claimIdleMs / 2`.
 * - `persistent` holds for a server with AOF (`appendonly yes`); without it a restart loses entries.
 *
 * @example
 * const broker = createRedisBroker({ url: 'redis://127.0.0.1:6379', maxLen: 1_000_000 });
 */
export function createRedisBroker(options: RedisBrokerOptions): Broker {
  const { url, clientOptions, logger, claimIdleMs, blockMs, maxLen, batchScript } = validate(options);
  const trim = maxLen === undefined ? [] : ['MAXLEN', '~', maxLen];
  const tickMs = Math.max(10, Math.floor(claimIdleMs / 2));
  const retryDelayMs = Math.min(1000, tickMs);
  const connections = new Set<Redis>();
  const members = new Set<Member>();
  let ioredis: Promise<typeof import('ioredis')> | undefined;
  let shared: Promise<Redis> | undefined;
  let closed = false;
  /** Why each client is not connected, while it is not: publish errors name it. */
  const connectionErrors = new WeakMap<Redis, Error>();

  async function connect(role: string): Promise<Redis> {
    const { Redis } = await (ioredis ??= loadPeer<typeof import('ioredis')>('ioredis', 'Redis adapter'));
    if (closed) throw new MessagingClosedError();
    // Replies are parsed in ioredis' legacy (RESP2-shaped) mapping, whatever the options say.
    const client = new Redis(url, { ...clientDefaults, ...clientOptions, replyMapping: 'legacy' } as RedisOptions & { replyMapping: 'legacy' });
    connections.add(client);
    client.defineCommand('eventwireAppend', { numberOfKeys: 1, lua: APPEND_SCRIPT });
    let failing = false;
    client.on('error', (error: Error) => {
      if (!failing) logger.warn('Redis connection failed; reconnecting', { broker: 'redis', role, url: redactUrl(url), error });
      failing = true;
      if (client.status !== 'ready') connectionErrors.set(client, error);
    });
    client.on('ready', () => {
      if (failing) logger.info('Redis connection restored', { broker: 'redis', role, url: redactUrl(url) });
      failing = false;
      connectionErrors.delete(client);
    });
    return client;
  }

  /**
   * ioredis reports an unreachable server as "Reached the max retries per request limit", which
   * points at a client option; the connection's own error says what is wrong. Undefined while
   * the connection is up: `error` is then Redis's answer to the command.
   */
  function unreachable(redis: Redis, error: unknown): BrokerUnreachableError | undefined {
    const cause = connectionErrors.get(redis);
    return cause === undefined ? undefined : new BrokerUnreachableError('Redis', url, cause.message, { cause: error });
  }

  async function ensureGroups(redis: Redis, topics: readonly string[], group: string): Promise<void> {
    const pipeline = redis.pipeline();
    for (const topic of topics) pipeline.xgroup('CREATE', topic, group, '$', 'MKSTREAM');
    // BUSYGROUP is Redis's error code for "this group exists already", which is what we want.
    const failure = firstError(await pipeline.exec(), (error) => !error.message.startsWith('BUSYGROUP'));
    if (failure !== undefined) throw failure;
  }

  function member(request: SubscribeRequest, deliver: DeliveryCallback, redis: Redis, reader: Redis): Subscription {
    const { groupId: group, concurrency, signal } = request;
    const topics = [...new Set(request.topics)];
    const consumer = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
    const context = { broker: 'redis', group, consumer };
    const keyOf = (topic: string, id: string): string => `${topic}\0${id}`;
    /** Entries this member owns: waiting in `ready`, in a callback, or waiting for a retry. */
    const held = new Map<string, IncomingMessage>();
    const retries = new Map<string, NodeJS.Timeout>();
    const ready: IncomingMessage[] = [];
    /** XACKs sent whose reply has not arrived: `closed` and close() wait for them (bounded). */
    const acks = new Set<Promise<void>>();
    /** Handled entries whose XACK goes out at the end of this event-loop turn, per topic (see acknowledge). */
    const toAck = new Map<string, IncomingMessage[]>();
    /** Entries taken in this turn, whose callbacks start on the next one (see run). */
    const claimCursors = new Map(topics.map((topic) => [topic, '0-0']));
    let inFlight = 0;
    let stopped = false;
    let finished = false;
    let wake = (): void => {};
    let markClosed = (): void => {};
    const closedPromise = new Promise<void>((resolve) => (markClosed = resolve));
    /** Resolves on the next change of capacity or state, or after `ms`. */
    const changed = (ms?: number): Promise<void> =>
      new Promise((resolve) => {
        const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
        wake = () => (clearTimeout(timer), resolve());
      });

    async function counts(topic: string, ids: string[]): Promise<(number | undefined)[]> {
      if (ids.length === 0) return [];
      const pipeline = redis.pipeline();
      for (const id of ids) pipeline.xpending(topic, group, id, id, 1);
      const replies = await pipeline.exec();
      const failure = firstError(replies);
      if (failure !== undefined) throw failure;
      return (replies ?? []).map(([, reply]) => (reply as [[string, string, number, number]?])[0]?.[3]);
    }

    /** `fromPending`: the entries were pending already, so their delivery counters are asked for. */
    async function ingest(topic: string, raw: RawEntry[], fromPending: boolean): Promise<void> {
      const fresh: { readonly id: string; readonly fields: Buffer[] }[] = [];
      const trimmed: string[] = [];
      for (const [rawId, fields] of raw) {
        const id = rawId.toString();
        if (held.has(keyOf(topic, id))) continue;
        if (fields === null) trimmed.push(id);
        else fresh.push({ id, fields });
      }
      if (trimmed.length > 0) {
        logger.warn('Pending entries were trimmed from the stream before anyone handled them', { ...context, topic, ids: trimmed });
        await redis.xack(topic, group, ...trimmed);
      }
      // New entries ('>') are at their first delivery: only pending ones need their counters.
      const found = fromPending ? await counts(topic, fresh.map(({ id }) => id)) : undefined;
      for (const [index, { id, fields }] of fresh.entries()) {
        const deliveryCount = found === undefined ? 1 : found[index];
        // Not pending any more: its former owner acknowledged it after all.
        if (deliveryCount === undefined || finished) continue;
        const message = decode(topic, id, fields, deliveryCount);
        held.set(keyOf(topic, id), message);
        ready.push(message);
      }
      pump();
    }

    function pump(): void {
      while (!finished && inFlight < concurrency && ready.length > 0) run(ready.shift() as IncomingMessage);
    }

    /** After stopping, an XACK's reply is awaited at most STOP_ACK_WAIT_MS from then (or from its sending). */
    function giveUpLater(ack: Promise<void>): void {
      setTimeout(() => acks.delete(ack) && settle(), STOP_ACK_WAIT_MS).unref();
    }

    /**
     * Queues the XACK of a handled entry: the entries handled in one event-loop turn are
     * acknowledged together at its end (setImmediate), one `XACK topic group id…` per topic, sent
     * without waiting for the reply. One command per entry cost a socket write each, a sixth of
     * the CPU time per message. Each entry stays in `held` until the reply, so that the heartbeat
     * keeps it and no claim takes it again meanwhile.
     */
    function acknowledge(message: IncomingMessage): void {
      // close() leaves entries whose callback was still running unacknowledged (delivered again).
      if (closed) return void held.delete(keyOf(message.topic, message.id));
      const queued = toAck.get(message.topic);
      if (queued !== undefined) return void queued.push(message);
      if (toAck.size === 0) setImmediate(sendAcks);
      toAck.set(message.topic, [message]);
    }

    /** Sends the queued XACKs; entries whose callback finished before close() are acknowledged also after it. */
    function sendAcks(): void {
      for (const [topic, messages] of toAck) {
        const ids = messages.map(({ id }) => id);
        const ack: Promise<void> = redis
          .xack(topic, group, ...ids)
          .then(
            () => {},
            (error: unknown) => void (closed || logger.warn('XACK failed; the entries will be delivered again', { ...context, topic, ids, error })),
          )
          .finally(() => {
            for (const id of ids) held.delete(keyOf(topic, id));
            acks.delete(ack);
            settle();
          });
        acks.add(ack);
        if (stopped) giveUpLater(ack);
      }
      toAck.clear();
    }

    function run(message: IncomingMessage): void {
      inFlight += 1;
      start(message);
    }

    function start(message: IncomingMessage): void {
      const { topic, id } = message;
      let delivered: Promise<void>;
      try {
        delivered = deliver(message);
      } catch (error) {
        delivered = Promise.reject(error);
      }
      delivered.then(
        () => {
          try {
            acknowledge(message);
          } finally {
            done();
          }
        },
        () => {
          if (stopped) held.delete(keyOf(topic, id));
          else retries.set(keyOf(topic, id), setTimeout(() => void retry(message), retryDelayMs));
          done();
        },
      );
    }

    /** A callback finished: its slot is free. */
    function done(): void {
      inFlight -= 1;
      wake();
      pump();
      settle();
    }

    /** Takes a rejected entry again with XCLAIM, which counts the delivery in Redis. */
    async function retry({ topic, id }: IncomingMessage): Promise<void> {
      retries.delete(keyOf(topic, id));
      held.delete(keyOf(topic, id));
      try {
        await ingest(topic, (await redis.callBuffer('XCLAIM', topic, group, consumer, 0, id)) as RawEntry[], true);
      } catch (error) {
        if (!closed) logger.warn('Redelivery failed; XAUTOCLAIM will take the entry over', { ...context, topic, id, error });
      }
    }

    async function tick(): Promise<void> {
      // Heartbeat: XCLAIM … JUSTID to ourselves resets the idle time of every entry we hold, so that
      // a callback running longer than claimIdleMs is not taken over by another member's XAUTOCLAIM.
      // JUSTID leaves the delivery counter unchanged.
      const byTopic = new Map<string, string[]>();
      for (const { topic, id } of held.values()) byTopic.set(topic, [...(byTopic.get(topic) ?? []), id]);
      for (const [topic, ids] of byTopic) await redis.xclaim(topic, group, consumer, 0, ...ids, 'JUSTID');
      // Takes over entries that stayed pending longer than claimIdleMs with a member that died.
      // A busy member claims too, as long as nothing waits in `ready`: up to `concurrency` claimed
      // entries wait there for a free slot, ahead of new entries (the read loop reads only once
      // `ready` is empty). Claiming only into slots free at tick time starved them: a member with
      // a steady stream refills each slot as soon as it frees, so it almost never has one then.
      for (const topic of topics) {
        const room = ready.length === 0 ? concurrency : concurrency - inFlight - ready.length;
        if (stopped || room <= 0) return;
        const reply = await redis.callBuffer('XAUTOCLAIM', topic, group, consumer, claimIdleMs, claimCursors.get(topic) ?? '0-0', 'COUNT', room);
        const [cursor, entries] = reply as [Buffer, RawEntry[]];
        claimCursors.set(topic, cursor.toString());
        await ingest(topic, entries, true);
      }
    }
    let ticking = false;
    const timer = setInterval(() => {
      if (ticking) return;
      ticking = true;
      tick()
        .catch((error: unknown) => void (closed || logger.debug('Heartbeat or XAUTOCLAIM failed', { ...context, error })))
        .finally(() => (ticking = false));
    }, tickMs);
    timer.unref();

    async function readLoop(): Promise<void> {
      // Own pending entries first ('0'), then new ones ('>').
      const cursors = new Map(topics.map((topic) => [topic, '0']));
      for (let failures = 0; !stopped; ) {
        if (ready.length > 0 || inFlight >= concurrency) {
          await changed();
          continue;
        }
        try {
          const ids = topics.map((topic) => cursors.get(topic) ?? '>');
          const count = concurrency - inFlight;
          const reply = (await reader.xreadgroupBuffer('GROUP', group, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', ...topics, ...ids)) as [Buffer, RawEntry[]][] | null;
          for (const [stream, entries] of reply ?? []) {
            const topic = stream.toString();
            const fromPending = cursors.get(topic) !== '>';
            if (fromPending) cursors.set(topic, entries.at(-1)?.[0].toString() ?? '>');
            await ingest(topic, entries, fromPending);
          }
          failures = 0;
        } catch (error) {
          if (stopped) break;
          failures += 1;
          if (error instanceof Error && error.message.startsWith('NOGROUP')) {
            logger.warn('The stream or its consumer group was deleted; recreating the group at the end of the stream', { ...context, topics, error });
            await ensureGroups(redis, topics, group).catch(() => {});
          } else {
            // Connection trouble is reported by the connection's own listener; a streak is logged once.
            logger[failures === 1 && reader.status === 'ready' ? 'warn' : 'debug']('Reading from Redis failed; retrying', { ...context, topics, error });
          }
          await changed(Math.min(50 * 2 ** failures, 5000));
        }
      }
    }

    /**
     * Read entries are still delivered after an abort: they are ours already, and acked when done.
     * After close(), callbacks still running are not waited for (their entries stay pending), but
     * XACKs already sent are, within their bound.
     */
    function settle(): void {
      if (finished || acks.size > 0 || toAck.size > 0 || !(closed || (stopped && inFlight === 0 && ready.length === 0))) return;
      finished = true;
      clearInterval(timer);
      members.delete(self);
      markClosed();
    }

    function stop(): void {
      if (!stopped) {
        stopped = true;
        for (const ack of acks) giveUpLater(ack);
        // Ends a blocked XREADGROUP now rather than after blockMs.
        reader.disconnect();
        connections.delete(reader);
        // Rejected entries stay pending; another member's XAUTOCLAIM takes them after claimIdleMs.
        for (const [key, retryTimer] of retries) {
          clearTimeout(retryTimer);
          held.delete(key);
        }
        retries.clear();
        wake();
      }
      settle();
    }

    const self: Member = { stop, closed: closedPromise };
    members.add(self);
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
    readLoop().catch((error: unknown) => logger.error('The Redis reading loop stopped', { ...context, error }));
    return { closed: closedPromise };
  }

  return {
    name: 'redis',
    capabilities,
    async publish(topic, messages, signal) {
      if (closed) throw new MessagingClosedError();
      if (messages.length === 0) return signal?.throwIfAborted();
      const redis = await (shared ??= connect('shared'));
      // The signal is checked up to the last moment before sending: a batch handed to Redis cannot
      // be recalled, and the client options bound how long its replies can take.
      signal?.throwIfAborted();
      // One message (every awaited send): a plain XADD, which resolves with Redis's reply or
      // rejects with its error, without a pipeline's bookkeeping.
      const [first] = messages;
      try {
        if (messages.length === 1 && first !== undefined) {
          await redis.xadd(topic, ...trim, '*', ...encode(first));
          return;
        }
        if (batchScript) {
          const entries: (string | number | Buffer)[] = [];
          for (const message of messages) {
            const fields = encode(message);
            entries.push(fields.length / 2, ...fields);
          }
          await (redis as ScriptedRedis).eventwireAppend(topic, maxLen ?? '', ...entries);
          return;
        }
        const pipeline = redis.pipeline();
        for (const message of messages) pipeline.xadd(topic, ...trim, '*', ...encode(message));
        // The first error of the batch; the core wraps it in a PublishError.
        const failure = firstError(await pipeline.exec());
        if (failure !== undefined) throw failure;
      } catch (error) {
        const down = unreachable(redis, error);
        if (down === undefined) throw error;
        throw new PublishError(topic, down.message, { cause: down });
      }
    },
    async subscribe(request, deliver) {
      if (closed) throw new MessagingClosedError();
      const redis = await (shared ??= connect('shared'));
      await ensureGroups(redis, request.topics, request.groupId).catch((error: unknown) => {
        throw unreachable(redis, error) ?? error;
      });
      if (request.signal.aborted) return { closed: Promise.resolve() };
      return member(request, deliver, redis, await connect('reader'));
    },
    async close() {
      if (closed) return;
      closed = true;
      const stopping = [...members];
      for (const { stop } of stopping) stop();
      // XACKs already sent are answered before the connections go (each within STOP_ACK_WAIT_MS),
      // so that none is cut off half-way; callbacks still running send none (see acknowledge).
      await Promise.all(stopping.map((member) => member.closed));
      for (const connection of connections) connection.disconnect();
      connections.clear();
    },
  };
}

/**
 * The factory used by `configureMessaging({ broker: 'redis' })`; `brokerOptions` may hold
 * `claimIdleMs`, `blockMs`, `maxLen` and `batchScript`.
 *
 * @example
 * const broker = redisBrokerFactory({ url: 'redis://127.0.0.1:6379', clientOptions: {}, brokerOptions: { maxLen: 100_000 }, logger });
 */
export function redisBrokerFactory(config: BrokerConfig): Broker {
  expectKnownKeys('the Redis brokerOptions', config.brokerOptions, ['claimIdleMs', 'blockMs', 'maxLen', 'batchScript']);
  const own = config.brokerOptions as Pick<RedisBrokerOptions, 'claimIdleMs' | 'blockMs' | 'maxLen' | 'batchScript'>;
  return createRedisBroker({ ...own, url: config.url, clientOptions: config.clientOptions, logger: config.logger });
}

function validate(options: RedisBrokerOptions) {
  const { url, clientOptions = {}, logger = consoleLogger } = expectObject('options', options) as Partial<RedisBrokerOptions>;
  if (typeof url !== 'string' || !/^rediss?:\/\/./.test(url) || !URL.canParse(url)) {
    throw new InvalidArgumentError('url', `Expected \`url\` to be a redis:// or rediss:// URL, got ${describe(typeof url === 'string' ? redactUrl(url) : url)}.`);
  }
  for (const name of ['claimIdleMs', 'blockMs', 'maxLen'] as const) {
    const value: unknown = options[name];
    if (value !== undefined && !(Number.isSafeInteger(value) && (value as number) > 0)) {
      throw new InvalidArgumentError(name, `Expected \`${name}\` to be a positive integer, got ${describe(value)}.`);
    }
  }
  expectObject('clientOptions', clientOptions);
  expectObject('logger', logger);
  const batchScript = expectBoolean('batchScript', options.batchScript ?? true);
  return { url, clientOptions, logger, claimIdleMs: options.claimIdleMs ?? 30_000, blockMs: options.blockMs ?? 2000, maxLen: options.maxLen, batchScript };
}

function encode(message: OutgoingMessage): (string | Buffer)[] {
  const fields: (string | Buffer)[] = ['value', message.value];
  if (message.key !== undefined) fields.push('key', message.key);
  if (Object.keys(message.headers).length > 0) fields.push('headers', JSON.stringify(message.headers));
  return fields;
}

function decode(topic: string, id: string, fields: Buffer[], deliveryCount: number): IncomingMessage {
  let value: Buffer = Buffer.alloc(0);
  let key: string | undefined;
  let headers: Headers = {};
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const name = String(fields[index]);
    const data = fields[index + 1] as Buffer;
    if (name === 'value') value = data;
    else if (name === 'key') key = data.toString('utf8');
    else if (name === 'headers') headers = parseHeaders(data);
  }
  return { topic, id, key, headers, value, deliveryCount };
}

/** Headers garbled by another writer are dropped: the payload still deserves its callback. */
function parseHeaders(data: Buffer): Headers {
  try {
    const parsed: unknown = JSON.parse(data.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    return Object.freeze(Object.fromEntries(Object.entries(parsed).filter((entry): entry is [string, string] => typeof entry[1] === 'string')));
  } catch {
    return {};
  }
}

function firstError(replies: [Error | null, unknown][] | null, counts: (error: Error) => boolean = () => true): Error | undefined {
  if (replies === null) return new Error('Redis discarded the pipeline');
  return replies.map(([error]) => error).find((error): error is Error => error !== null && counts(error));
}
