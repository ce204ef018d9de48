import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options, SocketOptions } from 'amqplib';
import type {
  Broker,
  BrokerCapabilities,
  BrokerConfig,
  DeliveryCallback,
  OutgoingMessage,
  SubscribeRequest,
  Subscription,
  TopicKeeper,
} from '../lib/broker.js';
import { BrokerLoginRefusedError, BrokerUnreachableError, InvalidArgumentError, MessagingClosedError, type EventwireError } from '../lib/errors.js';
import { loadPeer } from '../lib/load-peer.js';
import { consoleLogger, type Logger } from '../lib/logger.js';
import { redactUrl } from '../lib/redact.js';
import { abortable, bounded, listen, unlisten } from '../lib/settle.js';
import { describe, expectInteger, expectKnownKeys, expectLogger, expectObject, expectString } from '../lib/validate.js';

/**
 * Options of {@link createRabbitMqBroker}.
 *
 * @example
 * const options: RabbitMqBrokerOptions = { url: 'amqp://guest:guest@127.0.0.1:5672', prefetch: 10 };
 */
export interface RabbitMqBrokerOptions {
  /** `amqp://` or `amqps://` URL; its password is redacted from every log line. */
  readonly url: string;
  /** Socket options handed to amqplib's `connect` untouched (TLS, timeouts); never logged. */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /** The durable topic exchange every topic is routed through. Default `eventwire`. */
  readonly exchange?: string;
  /** Unacknowledged messages per consumer. Default: the subscription's concurrency. */
  readonly prefetch?: number;
  /** Wait before each reconnection attempt after the connection dropped. Default 1000 ms. */
  readonly reconnectDelayMs?: number;
  readonly logger?: Logger;
}

/** The key travels in this header; RabbitMQ's routing key carries the topic. */
const KEY_HEADER = 'eventwire-key';
/** When a message carries its event id here, it becomes the AMQP `messageId`. */
const EVENT_ID_HEADER = 'eventwire-id';
/** A rejected message waits this long before its nack, so that a failing message does not spin hot. */
const REDELIVERY_DELAY_MS = 200;
/**
 * How long stopping and closing wait for the broker's answers (cancel-ok, close-ok). A broker
 * that went silent (a network partition) never sends them, and amqplib would wait for its
 * heartbeat timeout, minutes; past this, the adapter stops waiting (see {@link shut}).
 */
const CLOSE_WAIT_MS = 3000;
const capabilities: BrokerCapabilities = { persistent: true, deliveryCount: false, keyAffinity: false };
const ignore = (): void => {};
/**
 * Why the server closed a publishing channel (e.g. 406, a message over its max_message_size).
 * amqplib fails the pending confirms with a bare "channel closed"; publish reports this instead.
 */
const refusals = new WeakMap<Channel, Error>();

interface Session {
  readonly model: ChannelModel;
  readonly publisher: ConfirmChannel;
}

interface Delivery {
  readonly channel: Channel;
  readonly topic: string;
  readonly message: ConsumeMessage;
}

interface Member {
  readonly request: SubscribeRequest;
  readonly deliver: DeliveryCallback;
  readonly finish: () => void;
  channel: Channel | undefined;
  tags: string[];
  /** Delivered (prefetched) but not started; returned to the queue when the member stops. */
  waiting: Delivery[];
  inFlight: number;
  attaching: Promise<void> | undefined;
  stopping: boolean;
  idle: (() => void) | undefined;
}

/**
 * A broker over RabbitMQ: one durable topic exchange (routing key = topic), one durable queue
 * `<group>.<topic>` per group and topic, publisher confirms, manual acks. Messages are persistent
 * `application/json` with the caller's headers, the key in `eventwire-key` and as `messageId` the
 * `eventwire-id` header or a fresh UUID. Connects on first use and reconnects by itself; while the
 * connection is down, publishing rejects (the core wraps it in a PublishError). Deliveries are at
 * least once: a message whose ack was lost with the connection comes again.
 *
 * @example
 * const broker = createRabbitMqBroker({ url: 'amqp://guest:guest@127.0.0.1:5672' });
 * await broker.publish('orders', [{ headers: {}, value: Buffer.from('{}') }]);
 */
export function createRabbitMqBroker(options: RabbitMqBrokerOptions): Broker & TopicKeeper {
  const { url, clientOptions, exchange, prefetch, reconnectDelayMs, logger } = validateOptions(options);
  const where = { broker: 'rabbitmq', url: redactUrl(url), exchange };
  const members = new Set<Member>();
  let session: Promise<Session> | undefined;
  /** What `session` resolved to, while it is still the current one: publishes take it without a wait. */
  let ready: Session | undefined;
  let liveModel: ChannelModel | undefined;
  let closed = false;
  let outage = false;
  let recoveryTimer: NodeJS.Timeout | undefined;

  /** Makes `pending` the current session; `ready` follows once it resolved, unless replaced meanwhile. */
  const track = (pending: Promise<Session> | undefined): void => {
    session = pending;
    ready = undefined;
    pending?.then((value) => void (session === pending && (ready = value)), ignore);
  };

  const connection = (): Promise<Session> => {
    if (closed) return Promise.reject(new MessagingClosedError());
    if (session !== undefined) return session;
    const attempt: Promise<Session> = open().catch((error: unknown) => {
      if (session === attempt) track(undefined);
      throw error;
    });
    track(attempt);
    return attempt;
  };

  async function open(): Promise<Session> {
    const amqp = await loadPeer<typeof import('amqplib')>('amqplib', 'RabbitMQ adapter');
    const model = await amqp.connect(url, clientOptions as SocketOptions).catch((error: unknown) => {
      throw connectionFailure(url, error);
    });
    model.on('error', (error: Error) => logger.warn('RabbitMQ connection error', { ...where, error }));
    model.on('blocked', (reason: string) => logger.warn('RabbitMQ blocks publishing (resource alarm)', { ...where, reason }));
    model.on('close', () => {
      if (liveModel !== model) return;
      liveModel = undefined;
      track(undefined);
      if (closed) return;
      outage = true;
      logger.warn('RabbitMQ connection lost; reconnecting', { ...where, reconnectDelayMs });
      scheduleRecovery();
    });
    let publisher: ConfirmChannel;
    try {
      publisher = await openPublisher(model);
      if (closed) throw new MessagingClosedError();
    } catch (error) {
      await shut(model);
      throw error;
    }
    liveModel = model;
    if (outage) logger.info('RabbitMQ connection restored', where);
    outage = false;
    return { model, publisher };
  }

  async function openPublisher(model: ChannelModel): Promise<ConfirmChannel> {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (error: Error) => {
      refusals.set(publisher, error);
      logger.warn('RabbitMQ publishing channel failed', { ...where, error });
    });
    publisher.on('close', () => {
      if (liveModel !== model || closed) return;
      // The server closes only the channel on a channel error, such as a message over its
      // max_message_size (406) or a deleted exchange (404). Closing the whole connection for it
      // would also close the consumers' channels: their in-flight messages could no longer be
      // acknowledged and would be delivered again. So a new publishing channel is opened on the
      // same connection, and the next publish waits for it; only if that fails (the connection
      // is going down too) is the connection closed and recovered.
      const replacing: Promise<Session> = openPublisher(model).then(
        (fresh) => ({ model, publisher: fresh }),
        (error: unknown) => {
          if (session === replacing) track(undefined);
          void model.close().catch(ignore);
          throw error;
        },
      );
      replacing.catch(ignore);
      track(replacing);
    });
    await publisher.assertExchange(exchange, 'topic', { durable: true });
    return publisher;
  }

  function scheduleRecovery(): void {
    if (closed || recoveryTimer !== undefined || members.size === 0) return;
    recoveryTimer = setTimeout(() => {
      recoveryTimer = undefined;
      connection()
        .then(async (current) => {
          for (const member of members) if (member.channel === undefined) await attach(member, current);
        })
        .catch((error: unknown) => {
          logger.warn('RabbitMQ reconnection failed; retrying', { ...where, error });
          scheduleRecovery();
        });
    }, reconnectDelayMs);
  }

  function attach(member: Member, current: Session): Promise<void> {
    member.attaching ??= declareAndConsume(member, current).finally(() => (member.attaching = undefined));
    return member.attaching;
  }

  async function declareAndConsume(member: Member, current: Session): Promise<void> {
    if (member.stopping || member.channel !== undefined) return;
    const { groupId, topics, concurrency } = member.request;
    const channel = await current.model.createChannel();
    channel.on('error', (error: Error) => logger.warn('RabbitMQ consumer channel failed', { ...where, groupId, error }));
    channel.on('close', () => {
      if (member.channel !== channel) return;
      member.channel = undefined;
      member.waiting = [];
      scheduleRecovery();
    });
    try {
      // Per-consumer prefetch (not RabbitMQ's deprecated global QoS); `waiting` caps the total.
      await channel.prefetch(prefetch ?? concurrency);
      for (const topic of topics) {
        await channel.assertQueue(`${groupId}.${topic}`, { durable: true });
        await channel.bindQueue(`${groupId}.${topic}`, exchange, topic);
      }
      member.channel = channel;
      member.tags = [];
      for (const topic of topics) {
        const onMessage = (message: ConsumeMessage | null): void => received(member, channel, topic, message);
        const { consumerTag } = await channel.consume(`${groupId}.${topic}`, onMessage, { noAck: false });
        member.tags.push(consumerTag);
      }
    } catch (error) {
      if (member.channel === channel) member.channel = undefined;
      await shut(channel);
      throw error;
    }
  }

  function received(member: Member, channel: Channel, topic: string, message: ConsumeMessage | null): void {
    if (message === null) {
      logger.warn('RabbitMQ cancelled a consumer (queue deleted?); subscribing again', { ...where, topic });
      void channel.close().catch(ignore);
      return;
    }
    member.waiting.push({ channel, topic, message });
    pump(member);
  }

  function pump(member: Member): void {
    while (!member.stopping && member.inFlight < member.request.concurrency) {
      const next = member.waiting.shift();
      if (next === undefined) return;
      // A delivery from a channel that closed since is back in the queue already.
      if (next.channel === member.channel) void handle(member, next);
    }
  }

  async function handle(member: Member, { channel, topic, message }: Delivery): Promise<void> {
    member.inFlight += 1;
    const { [KEY_HEADER]: key, ...headers } = stringHeaders(message.properties.headers);
    try {
      await member.deliver({
        topic,
        key,
        headers,
        value: message.content,
        id: String(message.fields.deliveryTag),
        // Classic queues only say "delivered before", not how often.
        deliveryCount: message.fields.redelivered ? undefined : 1,
      });
      settle(() => channel.ack(message));
    } catch {
      await sleep(REDELIVERY_DELAY_MS, undefined, { signal: member.request.signal, ref: false }).catch(ignore);
      settle(() => channel.nack(message, false, true));
    }
    member.inFlight -= 1;
    if (member.inFlight === 0) member.idle?.();
    pump(member);
  }

  // A closed channel cannot ack; the broker has put the message back already.
  function settle(acknowledge: () => void): void {
    try {
      acknowledge();
    } catch (error) {
      logger.debug('RabbitMQ acknowledgement dropped with its channel', { ...where, error });
    }
  }

  async function stop(member: Member): Promise<void> {
    if (member.stopping) return;
    member.stopping = true;
    members.delete(member);
    await member.attaching?.catch(ignore);
    const channel = member.channel;
    let silent = false;
    if (channel !== undefined) {
      // After basic.cancel-ok nothing new arrives, so the waiting list is complete. A silent
      // broker sends no cancel-ok: it delivers nothing either, and requeues all when the
      // connection ends.
      const cancelled = (async () => {
        for (const tag of member.tags) await channel.cancel(tag).catch(ignore);
      })();
      silent = !(await bounded(cancelled, CLOSE_WAIT_MS));
      for (const { message } of member.waiting.splice(0)) settle(() => channel.nack(message, false, true));
    }
    if (member.inFlight > 0) await new Promise<void>((resolve) => (member.idle = resolve));
    member.channel = undefined;
    // A broker that did not answer the cancel will not answer the close either: not awaited.
    if (channel !== undefined && silent) void shut(channel);
    else if (channel !== undefined) await shut(channel);
    member.finish();
  }

  return {
    name: 'rabbitmq',
    capabilities,
    async publish(topic, messages, signal) {
      signal?.throwIfAborted();
      if (messages.length === 0) return;
      if (outage && recoveryTimer !== undefined) throw new BrokerUnreachableError('RabbitMQ', url, 'the connection dropped; reconnecting.');
      // On abort the promise rejects at once; messages already written may still be stored.
      const { publisher } = ready ?? (await abortable(connection(), signal));
      await confirmAll(publisher, exchange, topic, messages, signal);
    },
    async subscribe(request, deliver): Promise<Subscription> {
      const current = await connection();
      let finish = ignore;
      const done = new Promise<void>((resolve) => (finish = resolve));
      const member: Member = { request, deliver, finish, channel: undefined, tags: [], waiting: [], inFlight: 0, attaching: undefined, stopping: false, idle: undefined };
      members.add(member);
      try {
        await attach(member, current);
      } catch (error) {
        members.delete(member);
        throw error;
      }
      if (request.signal.aborted) void stop(member);
      else request.signal.addEventListener('abort', () => void stop(member), { once: true });
      return { closed: done };
    },
    async keepTopic(topic) {
      // A channel of its own: a refused declaration closes it, not the publishing channel.
      const channel = await (await connection()).model.createChannel();
      channel.on('error', ignore);
      try {
        await channel.assertQueue(topic, { durable: true });
        await channel.bindQueue(topic, exchange, topic);
      } finally {
        await shut(channel);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(recoveryTimer);
      for (const member of members) {
        member.stopping = true;
        member.finish();
      }
      members.clear();
      const model = liveModel;
      liveModel = undefined;
      track(undefined);
      if (model !== undefined) await shut(model);
    },
  };
}

/**
 * The factory used by `configureMessaging({ broker: 'rabbitmq' })`. `brokerOptions` may hold
 * `exchange`, `prefetch` and `reconnectDelayMs`.
 *
 * @example
 * const broker = rabbitMqBrokerFactory({ url: 'amqp://127.0.0.1', clientOptions: {}, brokerOptions: { prefetch: 20 }, logger });
 */
export function rabbitMqBrokerFactory(config: BrokerConfig): Broker {
  expectKnownKeys('RabbitMQ brokerOptions', config.brokerOptions, ['exchange', 'prefetch', 'reconnectDelayMs']);
  return createRabbitMqBroker({ ...config.brokerOptions, url: config.url, clientOptions: config.clientOptions, logger: config.logger });
}

/**
 * Publishes `messages` in order and resolves once RabbitMQ confirmed them all; rejects at the
 * first nack or refusal, or with the signal's reason as soon as it aborts (messages not written
 * yet are then not written; those written may still be stored). One promise and one confirm
 * callback per batch, not per message: on a busy channel the bookkeeping was a third of the
 * adapter's CPU time per publish.
 */
function confirmAll(channel: ConfirmChannel, exchange: string, topic: string, messages: readonly OutgoingMessage[], signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let unconfirmed = messages.length;
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      if (signal !== undefined) unlisten(signal, finish);
      if (error === undefined) resolve();
      else reject(error);
    };
    // The server's reason for closing the channel beats amqplib's bare "channel closed".
    const confirmed = (error: unknown): void => {
      if (error) finish(refusals.get(channel) ?? (error instanceof Error ? error : new Error(`RabbitMQ nacked a message to "${topic}"`)));
      else if (--unconfirmed === 0) finish();
    };
    const write = (from: number): void => {
      for (let index = from; index < messages.length && !settled; index += 1) {
        const message = messages[index] as OutgoingMessage;
        let writable: boolean;
        try {
          writable = channel.publish(exchange, topic, message.value, properties(message), confirmed);
        } catch (error) {
          // amqplib throws at once on a channel that closed already.
          return finish(error);
        }
        // The rest of the batch waits until amqplib's channel buffer drained; after the last
        // message nothing is left to hold back, and its confirm comes after its bytes anyway.
        if (!writable && index + 1 < messages.length) return void drained(channel).then(() => write(index + 1), finish);
      }
    };
    if (signal !== undefined) listen(signal, finish);
    write(0);
  });
}

function properties(message: OutgoingMessage): Options.Publish {
  return {
    persistent: true,
    contentType: 'application/json',
    // amqplib only reads the headers: the caller's object goes as it is unless the key joins it.
    headers: message.key === undefined ? message.headers : { ...message.headers, [KEY_HEADER]: message.key },
    messageId: message.headers[EVENT_ID_HEADER] ?? randomUUID(),
  };
}

/** Back-pressure: amqplib buffers past its high-water mark until the socket drains. */
function drained(channel: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      channel.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      channel.off('drain', onDrain);
      reject(new Error('The RabbitMQ channel closed while publishing.'));
    };
    channel.once('drain', onDrain);
    channel.once('close', onClose);
  });
}

/**
 * amqplib's close() never settles when the socket dies before the broker's close-ok; 'close'
 * fires. A broker that went silent sends no close-ok and the socket stays up: after
 * CLOSE_WAIT_MS a connection's socket is destroyed (amqplib then closes it and its channels),
 * and a channel is left to its connection.
 */
function shut(target: ChannelModel | Channel): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if ('createChannel' in target) {
        const { stream } = target.connection as unknown as { stream?: { destroy(error?: Error): void } };
        stream?.destroy(new Error(`RabbitMQ did not confirm the close within ${CLOSE_WAIT_MS} ms`));
      }
      resolve();
    }, CLOSE_WAIT_MS);
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    target.once('close', done);
    target.close().then(done, done);
  });
}

/**
 * Why connecting failed, in terms the user can act on. amqplib reports the server's refusal
 * during the handshake (403 ACCESS_REFUSED for a wrong user or password, 530 NOT_ALLOWED for a
 * virtual host the user may not open) only as the text of a plain Error, "Handshake terminated
 * by server: <reply code> (<name>) …", so the AMQP reply code is read from there. Every other
 * failure (refused, timed out, name not found, socket closed) means the server is unreachable.
 */
function connectionFailure(url: string, error: unknown): EventwireError {
  const detail = error instanceof Error ? error.message : String(error);
  const refusal = /^Handshake terminated by server: (\d{3} .*)$/s.exec(detail)?.[1];
  if (refusal !== undefined) {
    return new BrokerLoginRefusedError('RabbitMQ', url, `${refusal} Check the user name, the password and the virtual host in the URL.`, { cause: error });
  }
  return new BrokerUnreachableError('RabbitMQ', url, detail, { cause: error });
}

/** Other publishers may send numbers or byte arrays; the port promises strings. */
function stringHeaders(raw: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    if (value === undefined || value === null) continue;
    headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : JSON.stringify(value);
  }
  return headers;
}

type Settings = Required<Omit<RabbitMqBrokerOptions, 'prefetch'>> & { readonly prefetch: number | undefined };

function validateOptions(options: RabbitMqBrokerOptions): Settings {
  const raw = expectObject('options', options);
  expectKnownKeys('createRabbitMqBroker options', raw, ['url', 'clientOptions', 'exchange', 'prefetch', 'reconnectDelayMs', 'logger']);
  const url = expectString('url', raw.url);
  if (!/^amqps?:\/\/[^/]/.test(url)) invalid('url', 'an amqp:// or amqps:// URL', redactUrl(url));
  const exchange = expectString('exchange', or(raw.exchange, 'eventwire'));
  if (!/^[A-Za-z0-9._:-]{1,255}$/.test(exchange) || exchange.startsWith('amq.')) {
    invalid('exchange', 'a name of letters, digits, ".", "_", "-" and ":" not starting with "amq."', exchange);
  }
  const prefetch = raw.prefetch === undefined ? undefined : expectInteger('prefetch', raw.prefetch, 1);
  // basic.qos carries the prefetch count in 16 bits.
  if (prefetch !== undefined && prefetch > 65535) invalid('prefetch', 'an integer from 1 to 65535', prefetch);
  const logger = expectLogger('logger', or(raw.logger, consoleLogger));
  return {
    url,
    clientOptions: expectObject('clientOptions', or(raw.clientOptions, {})),
    exchange,
    prefetch,
    reconnectDelayMs: expectInteger('reconnectDelayMs', or(raw.reconnectDelayMs, 1000), 0),
    logger,
  };
}

/** Only `undefined` means "not given": a `null` is a mistake to report. */
function or(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value;
}

function invalid(name: string, expected: string, value: unknown): never {
  throw new InvalidArgumentError(name, `Expected \`${name}\` to be ${expected}, got ${describe(value)}.`);
}
