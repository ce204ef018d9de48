import type { ChannelModel, Message } from 'amqplib';
import { BrokerUnreachableError, MessagingClosedError } from '../../lib/errors/index.js';
import { loadPeer } from '../../lib/config/load-peer.js';
import { NodeRotation } from './nodes.js';
import { socketOptions, type RabbitMqSettings } from './options.js';
import { ClientSpans } from '../client-spans.js';
import type { Exchanges } from './exchanges.js';
import { ConfirmLane } from './publish.js';
import { declareOnOwnChannel } from './queues.js';
import { shut } from './shut.js';
import type { BrokerHealth } from '../../lib/broker.js';

/** An open connection and its publishing lane; consumers open their own channels on `model`. */
export interface RabbitMqSession {
  readonly model: ChannelModel;
  readonly lane: ConfirmLane;
}

/** What the connection asks of its owner when it recovers from a drop, and what it tells it. */
export interface RecoveryHooks {
  /** RabbitMQ returned a message to `topic` (`basic.return`): no queue is bound to it. Its publish still resolves. */
  readonly returned?: (topic: string) => void;
  /** True while something (a subscribed member) needs the connection back after a drop. */
  readonly needed: () => boolean;
  /** Re-opens on `session` what the dropped connection carried (consumer channels, queues). */
  readonly recovered: (session: RabbitMqSession) => Promise<void>;
}

/** How amqplib is reached: loaded on first use, or handed in by a unit test. */
export type AmqpClient = Pick<typeof import('amqplib'), 'connect'>;

const loadAmqp = (): Promise<AmqpClient> => loadPeer<typeof import('amqplib')>('amqplib', 'RabbitMQ adapter');
const ignore = (): void => {};

/**
 * The adapter's connection to RabbitMQ: opened on first use, with one publishing (confirm)
 * channel. When the connection drops, the session is forgotten at once (publishing then rejects
 * with "reconnecting") and, while members need it, a new one is opened after `reconnectDelayMs`
 * and handed to `recovered`, again and again until it succeeds or close() is called. When the
 * server closes only the publishing channel, a new one replaces it on the same connection.
 *
 * @example
 * const connection = new RabbitMqConnection(settings, { needed: () => members.size > 0, recovered });
 * const { lane } = connection.ready ?? (await connection.session());
 */
export class RabbitMqConnection {
  readonly #settings: RabbitMqSettings;
  readonly #hooks: RecoveryHooks;
  readonly #client: () => Promise<AmqpClient>;
  readonly #where: Record<string, string>;
  readonly #nodes: NodeRotation;
  /** Keeps amqplib's OpenTelemetry instrumentation off eventwire's own publishes and consumers when eventwire traces. */
  readonly clientSpans: ClientSpans;
  #session: Promise<RabbitMqSession> | undefined;
  /** What `#session` resolved to, while it is still the current one: publishes take it without a wait. */
  #ready: RabbitMqSession | undefined;
  #live: ChannelModel | undefined;
  #closed = false;
  #outage = false;
  #recoveryTimer: NodeJS.Timeout | undefined;
  /** The last connection error and when it came, for health(). */
  #lastError: { readonly message: string; readonly at: string } | undefined;

  constructor(settings: RabbitMqSettings, hooks: RecoveryHooks, client: () => Promise<AmqpClient> = loadAmqp) {
    this.#settings = settings;
    this.#hooks = hooks;
    this.#client = client;
    this.#nodes = new NodeRotation(settings.url);
    this.#where = { broker: 'rabbitmq', url: this.#nodes.shown(), exchange: settings.exchange };
    this.clientSpans = new ClientSpans('@opentelemetry/instrumentation-amqplib', settings.logger);
  }

  /** The main and the dead-letter exchange. */
  get exchanges(): Exchanges {
    return { main: this.#settings.exchange, deadLetters: this.#settings.deadLetterExchange };
  }

  /** Where log lines say they come from: the broker, the masked URLs, the exchange. */
  get where(): Readonly<Record<string, string>> {
    return this.#where;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The current session if it is open, so that a publish needs no wait. */
  get ready(): RabbitMqSession | undefined {
    return this.#ready;
  }

  /** A `BrokerUnreachableError` while the connection dropped and a reconnection is pending. */
  get outage(): BrokerUnreachableError | undefined {
    if (!this.#outage || this.#recoveryTimer === undefined) return undefined;
    return new BrokerUnreachableError('RabbitMQ', this.#nodes.current, 'the connection dropped; reconnecting.');
  }

  /**
   * The connection's state, without a round trip: `reconnecting` from a dropped connection (or a
   * failed attempt) until a session is open again, `idle` before the first one.
   */
  health(): BrokerHealth {
    const lastError = this.#lastError;
    if (this.#closed) return { state: 'closed', lastError };
    if (this.#ready !== undefined) return { state: 'connected', lastError };
    return { state: this.#outage || lastError !== undefined ? 'reconnecting' : 'idle', lastError };
  }

  /** The current session, opened if there is none; rejects after close(). */
  session(): Promise<RabbitMqSession> {
    if (this.#closed) return Promise.reject(new MessagingClosedError());
    if (this.#session !== undefined) return this.#session;
    const attempt: Promise<RabbitMqSession> = this.#open().catch((error: unknown) => {
      this.#failed(error);
      if (this.#session === attempt) this.#track(undefined);
      throw error;
    });
    this.#track(attempt);
    return attempt;
  }

  /** Reconnects after `reconnectDelayMs` unless that is planned already or nothing needs it. */
  scheduleRecovery(): void {
    if (this.#closed || this.#recoveryTimer !== undefined || !this.#hooks.needed()) return;
    this.#recoveryTimer = setTimeout(() => {
      this.#recoveryTimer = undefined;
      this.session()
        .then((current) => this.#hooks.recovered(current))
        .catch((error: unknown) => {
          this.#settings.logger.warn('RabbitMQ reconnection failed; retrying', { ...this.#where, error });
          this.scheduleRecovery();
        });
    }, this.#settings.reconnectDelayMs);
  }

  /**
   * Declares the durable queue `topic` bound to `topic` on its exchange (the dead-letter one for
   * `<topic>.dlq`), so that its messages are kept while no group consumes them.
   */
  async keepTopic(topic: string): Promise<void> {
    const { model } = await this.session();
    await declareOnOwnChannel(model, { name: topic, type: this.#settings.queueType, exchanges: this.exchanges, topic });
  }

  /** Stops reconnecting and closes the connection (and with it every channel). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#recoveryTimer);
    const model = this.#live;
    this.#live = undefined;
    this.#track(undefined);
    if (model !== undefined) await shut(model);
  }

  /** Makes `pending` the current session; `#ready` follows once it resolved, unless replaced meanwhile. */
  #track(pending: Promise<RabbitMqSession> | undefined): void {
    this.#session = pending;
    this.#ready = undefined;
    pending?.then((value) => void (this.#session === pending && (this.#ready = value)), ignore);
  }

  /** Remembers a connection failure for health(); the message of a connection failure names no credentials (failures.ts masks the URL). */
  #failed(error: unknown): void {
    this.#lastError = { message: error instanceof Error ? error.message : String(error), at: new Date().toISOString() };
  }

  async #open(): Promise<RabbitMqSession> {
    const { logger, reconnectDelayMs } = this.#settings;
    const model = await this.#connect();
    model.on('error', (error: Error) => {
      this.#failed(error);
      logger.warn('RabbitMQ connection error', { ...this.#where, error });
    });
    model.on('blocked', (reason: string) => logger.warn('RabbitMQ blocks publishing (resource alarm)', { ...this.#where, reason }));
    model.on('close', () => {
      if (this.#live !== model) return;
      this.#live = undefined;
      this.#track(undefined);
      if (this.#closed) return;
      this.#outage = true;
      this.#lastError ??= { message: 'the connection closed', at: new Date().toISOString() };
      logger.warn('RabbitMQ connection lost; reconnecting', { ...this.#where, reconnectDelayMs });
      this.scheduleRecovery();
    });
    let lane: ConfirmLane;
    try {
      lane = await this.#openLane(model);
      if (this.#closed) throw new MessagingClosedError();
    } catch (error) {
      await shut(model);
      throw error;
    }
    this.#live = model;
    if (this.#outage) logger.info('RabbitMQ connection restored', this.#where);
    this.#outage = false;
    return { model, lane };
  }

  /** Connects to the first node that answers, in the rotation's order. */
  async #connect(): Promise<ChannelModel> {
    const amqp = await this.#client();
    const options = socketOptions(this.#settings);
    return this.#nodes.connect((url) => amqp.connect(url, options), options.credentials !== undefined);
  }

  async #openLane(model: ChannelModel): Promise<ConfirmLane> {
    const { exchange, logger } = this.#settings;
    const channel = await model.createConfirmChannel();
    // A channel that published to a quorum queue while its leader changed can go on nacking every
    // later publish to it (seen on RabbitMQ 3.10): a nack retires the channel, and the next
    // publish takes a new one (#replaceLane), whose publishes reach the new leader.
    const lane = new ConfirmLane(channel, this.exchanges, () => void channel.close().catch(ignore), this.clientSpans);
    channel.on('error', (error: Error) => {
      lane.refused(error);
      logger.warn('RabbitMQ publishing channel failed', { ...this.#where, error });
    });
    channel.on('close', () => {
      if (this.#live === model && !this.#closed) this.#replaceLane(model);
    });
    channel.on('return', (message: Message) => this.#hooks.returned?.(message.fields.routingKey));
    await channel.assertExchange(exchange, 'topic', { durable: true });
    return lane;
  }

  /**
   * The server closes only the channel on a channel error, such as a message over its
   * max_message_size (406) or a deleted exchange (404). Closing the whole connection for it
   * would also close the consumers' channels: their in-flight messages could no longer be
   * acknowledged and would be delivered again. So a new publishing channel is opened on the
   * same connection, and the next publish waits for it; only if that fails (the connection
   * is going down too) is the connection closed and recovered.
   */
  #replaceLane(model: ChannelModel): void {
    const replacing: Promise<RabbitMqSession> = this.#openLane(model).then(
      (lane) => ({ model, lane }),
      (error: unknown) => {
        if (this.#session === replacing) this.#track(undefined);
        void model.close().catch(ignore);
        throw error;
      },
    );
    replacing.catch(ignore);
    this.#track(replacing);
  }
}
