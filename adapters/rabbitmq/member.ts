import { setTimeout as sleep } from 'node:timers/promises';
import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import type { DeliveryCallback, SubscribeRequest } from '../../lib/broker.js';
import type { Logger } from '../../lib/config/logger.js';
import { MemberLifecycle } from '../../lib/consuming/member-lifecycle.js';
import { bounded } from '../../lib/waiting.js';
import type { ClientSpans } from '../client-spans.js';
import { AckBatcher } from './ack-batcher.js';
import { decodeDelivery } from './codec.js';
import type { Exchanges } from './exchanges.js';
import { declareQueue, groupQueueName, type QueueType } from './queues.js';
import { CLOSE_WAIT_MS, shut } from './shut.js';

/** What a member needs from its broker. */
export interface MemberContext {
  /** The main exchange, and the dead-letter one that `<topic>.dlq` topics are bound on. */
  readonly exchanges: Exchanges;
  /** The type of the queues the member declares. */
  readonly queueType: QueueType;
  /** Unacknowledged messages per consumer; `undefined` for the subscription's concurrency. */
  readonly prefetch: number | undefined;
  /** How long a rejected message waits before its nack, so that a failing message does not spin hot. */
  readonly redeliveryDelayMs: number;
  readonly logger: Logger;
  readonly where: Readonly<Record<string, string>>;
  /** Keeps amqplib's OpenTelemetry instrumentation from starting consumer spans beside eventwire's. */
  readonly clientSpans: ClientSpans;
  /** The member's channel closed under it (connection lost, queue deleted): attach it again soon. */
  readonly detached: () => void;
}

/** Where a member opens its channel: an amqplib connection, or a fake one in unit tests. */
export type ChannelSource = Pick<ChannelModel, 'createChannel'>;

interface Delivery {
  readonly channel: Channel;
  /** The acknowledgements of `channel`. */
  readonly acks: AckBatcher;
  readonly topic: string;
  readonly message: ConsumeMessage;
}

const ignore = (): void => {};

/** Puts a delivery back in its queue; it no longer holds back the acks behind it. */
function requeue(channel: Channel, acks: AckBatcher, message: ConsumeMessage): void {
  acks.forget(message);
  channel.nack(message, false, true);
}

/**
 * One subscription: a channel of its own with a consumer on the durable queue `<group>.<topic>`
 * of each topic, manual acks. Deliveries wait in arrival order and up to `concurrency` callbacks
 * run at once; a resolved callback acks its message (several finished together go in one ack:
 * ack-batcher.ts), a rejected one nacks it (requeued) after `redeliveryDelayMs`. When its channel
 * closes the member is detached, and attach() on a new connection declares its queues and
 * consumes again. stop() lets the callbacks in flight finish.
 *
 * @example
 * const member = new RabbitMqMember(request, deliver, context);
 * await member.attach(model); request.signal.onabort = () => void member.stop();
 */
export class RabbitMqMember {
  readonly #request: SubscribeRequest;
  readonly #deliver: DeliveryCallback;
  readonly #context: MemberContext;
  /** running → draining (stop) → closed; the callbacks in flight. */
  readonly #life = new MemberLifecycle();
  #channel: Channel | undefined;
  /** The acknowledgements of `#channel`. */
  #acks: AckBatcher | undefined;
  #tags: string[] = [];
  /** Delivered (prefetched) but not started; returned to the queue when the member stops. */
  #waiting: Delivery[] = [];
  #attaching: Promise<void> | undefined;

  constructor(request: SubscribeRequest, deliver: DeliveryCallback, context: MemberContext) {
    this.#request = request;
    this.#deliver = deliver;
    this.#context = context;
  }

  /** Resolves once the member stopped (or was abandoned). */
  get closed(): Promise<void> {
    return this.#life.closed;
  }

  /** True while the member has no channel (before attach, after its channel closed). */
  get detached(): boolean {
    return this.#channel === undefined;
  }

  /** Opens the member's channel on `model`, declares and binds its queues and consumes them; once at a time. */
  attach(model: ChannelSource): Promise<void> {
    this.#attaching ??= this.#declareAndConsume(model).finally(() => (this.#attaching = undefined));
    return this.#attaching;
  }

  /**
   * Cancels the consumers, returns the waiting deliveries to the queue, waits for the callbacks in
   * flight and closes the channel; `closed` then resolves.
   */
  async stop(): Promise<void> {
    if (!this.#life.stop()) return;
    await this.#attaching?.catch(ignore);
    const channel = this.#channel;
    let silent = false;
    if (channel !== undefined) {
      // After basic.cancel-ok nothing new arrives, so the waiting list is complete. A silent
      // broker sends no cancel-ok: it delivers nothing either, and requeues all when the
      // connection ends.
      const tags = this.#tags;
      const cancelled = (async () => {
        for (const tag of tags) await channel.cancel(tag).catch(ignore);
      })();
      silent = !(await bounded(cancelled, CLOSE_WAIT_MS));
      for (const { message, acks } of this.#waiting.splice(0)) this.#settle(() => requeue(channel, acks, message));
    }
    await this.#life.idle();
    // Acks still waiting for their turn go before the channel closes, or the broker would requeue them.
    if (channel !== undefined) this.#acks?.flush();
    this.#channel = undefined;
    this.#acks = undefined;
    // A broker that did not answer the cancel will not answer the close either: not awaited.
    if (channel !== undefined && silent) void shut(channel);
    else if (channel !== undefined) await shut(channel);
    this.#life.close();
  }

  /** The broker closes: `closed` resolves now (a stop() under way waits no longer), the channel goes with the connection. */
  abandon(): void {
    this.#life.close();
  }

  async #declareAndConsume(model: ChannelSource): Promise<void> {
    if (!this.#life.running || this.#channel !== undefined) return;
    const { groupId, topics, concurrency } = this.#request;
    const { exchanges, queueType, prefetch, logger, where } = this.#context;
    const channel = await model.createChannel();
    const acks = new AckBatcher(channel, (error) => logger.debug('RabbitMQ acknowledgement dropped with its channel', { ...where, groupId, error }));
    channel.on('error', (error: Error) => logger.warn('RabbitMQ consumer channel failed', { ...where, groupId, error }));
    channel.on('close', () => {
      if (this.#channel !== channel) return;
      this.#channel = undefined;
      this.#acks = undefined;
      this.#waiting = [];
      this.#context.detached();
    });
    try {
      // Per-consumer prefetch (not RabbitMQ's deprecated global QoS); `waiting` caps the total.
      await channel.prefetch(prefetch ?? concurrency);
      for (const topic of topics) await declareQueue(channel, { name: groupQueueName(groupId, topic), type: queueType, exchanges, topic });
      this.#channel = channel;
      this.#acks = acks;
      this.#tags = [];
      for (const topic of topics) {
        const onMessage = (message: ConsumeMessage | null): void => this.#received(channel, acks, topic, message);
        const consume = this.#context.clientSpans.consumer(channel.consume);
        const { consumerTag } = await consume.call(channel, groupQueueName(groupId, topic), onMessage, { noAck: false });
        this.#tags.push(consumerTag);
      }
    } catch (error) {
      if (this.#channel === channel) {
        this.#channel = undefined;
        this.#acks = undefined;
      }
      await shut(channel);
      throw error;
    }
  }

  #received(channel: Channel, acks: AckBatcher, topic: string, message: ConsumeMessage | null): void {
    if (message === null) {
      this.#context.logger.warn('RabbitMQ cancelled a consumer (queue deleted?); subscribing again', { ...this.#context.where, topic });
      // The acks waiting for their turn go first: a closing channel refuses them.
      acks.flush();
      void channel.close().catch(ignore);
      return;
    }
    acks.track(message);
    this.#waiting.push({ channel, acks, topic, message });
    this.#pump();
  }

  #pump(): void {
    while (this.#life.running && this.#life.inFlight < this.#request.concurrency) {
      const next = this.#waiting.shift();
      if (next === undefined) return;
      // A delivery from a channel that closed since is back in the queue already.
      if (next.channel === this.#channel) this.#handle(next);
    }
  }

  /**
   * Hands one delivery to the core, then acknowledges it, or puts it back after the redelivery
   * delay. Chained rather than async: with an async context manager (an OpenTelemetry SDK) every
   * promise a delivery makes costs a context copy.
   */
  #handle({ channel, acks, topic, message }: Delivery): void {
    this.#life.begin();
    let delivered: Promise<void>;
    try {
      delivered = this.#deliver(decodeDelivery(topic, message));
    } catch (error) {
      delivered = Promise.reject(error);
    }
    delivered.then(
      () => this.#done(() => acks.ack(message)),
      () => {
        // Put back after the delay, or at once when the member stops (the sleep's abort).
        const back = (): void => this.#done(() => requeue(channel, acks, message));
        void sleep(this.#context.redeliveryDelayMs, undefined, { signal: this.#request.signal, ref: false }).then(back, back);
      },
    );
  }

  /** Settles a delivery with `acknowledge`, then takes the next one waiting. */
  #done(acknowledge: () => void): void {
    this.#settle(acknowledge);
    this.#life.end();
    this.#pump();
  }

  // A closed channel cannot ack; the broker has put the message back already.
  #settle(acknowledge: () => void): void {
    try {
      acknowledge();
    } catch (error) {
      this.#context.logger.debug('RabbitMQ acknowledgement dropped with its channel', { ...this.#context.where, error });
    }
  }
}
