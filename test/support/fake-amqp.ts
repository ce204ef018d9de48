import { EventEmitter } from 'node:events';
import type { Channel, ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';

type Consume = (message: ConsumeMessage | null) => void;
type Confirmed = (error: unknown) => void;

/**
 * A stand-in for an amqplib channel that records what the unit under test asked of it, as lines
 * such as `consume g.t`, `ack 3`, `ack 5 multiple` or `nack 3 requeue`. Unit tests hand it in where the adapter's
 * units take a channel; nothing of amqplib is patched.
 *
 * @example
 * const channel = new FakeChannel(); channel.deliver('g.t', 1, '{}'); assert.deepEqual(channel.calls, ['ack 1']);
 */
export class FakeChannel extends EventEmitter {
  readonly calls: string[] = [];
  readonly consumers = new Map<string, Consume>();
  /** What publish() recorded: exchange, routing key, content, properties and its confirm callback. */
  readonly published: { exchange: string; topic: string; content: Buffer; properties: Options.Publish; confirmed: Confirmed }[] = [];
  /** What publish() returns: false asks the writer to wait for 'drain'. */
  writable: (index: number) => boolean = () => true;
  closed = false;

  async prefetch(count: number): Promise<void> {
    this.calls.push(`prefetch ${count}`);
  }

  async assertExchange(name: string): Promise<void> {
    this.calls.push(`assertExchange ${name}`);
  }

  async assertQueue(name: string): Promise<void> {
    this.calls.push(`assertQueue ${name}`);
  }

  async bindQueue(queue: string, exchange: string, key: string): Promise<void> {
    this.calls.push(`bindQueue ${queue} ${exchange} ${key}`);
  }

  async consume(queue: string, onMessage: Consume): Promise<{ consumerTag: string }> {
    this.calls.push(`consume ${queue}`);
    this.consumers.set(queue, onMessage);
    return { consumerTag: `tag:${queue}` };
  }

  async cancel(tag: string): Promise<void> {
    this.calls.push(`cancel ${tag}`);
  }

  ack(message: ConsumeMessage, allUpTo?: boolean): void {
    if (this.closed) throw new Error('Channel closed');
    this.calls.push(`ack ${message.fields.deliveryTag}${allUpTo === true ? ' multiple' : ''}`);
  }

  nack(message: ConsumeMessage, _allUpTo?: boolean, requeue?: boolean): void {
    if (this.closed) throw new Error('Channel closed');
    this.calls.push(`nack ${message.fields.deliveryTag}${requeue === true ? ' requeue' : ''}`);
  }

  publish(exchange: string, topic: string, content: Buffer, properties: Options.Publish, confirmed: Confirmed): boolean {
    if (this.closed) throw new Error('Channel closed');
    this.published.push({ exchange, topic, content, properties, confirmed });
    return this.writable(this.published.length - 1);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.calls.push('close');
    this.emit('close');
  }

  /** Hands a message from `queue` to its consumer, as the broker would. */
  deliver(queue: string, deliveryTag: number, body: string, headers: Record<string, unknown> = {}, redelivered = false): void {
    const message = { content: Buffer.from(body), fields: { deliveryTag, redelivered }, properties: { headers } };
    this.consumers.get(queue)?.(message as unknown as ConsumeMessage);
  }

  /** This fake as the amqplib type a unit takes. */
  get asChannel(): Channel & ConfirmChannel {
    return this as unknown as Channel & ConfirmChannel;
  }
}

/** A stand-in for an amqplib connection: every channel it opened, and its close. */
export class FakeModel extends EventEmitter {
  readonly channels: FakeChannel[] = [];
  readonly connection = {};
  /** Set to make the next createChannel/createConfirmChannel reject. */
  refuseChannels: Error | undefined;
  closed = false;

  async createChannel(): Promise<Channel> {
    return this.#open().asChannel;
  }

  async createConfirmChannel(): Promise<ConfirmChannel> {
    return this.#open().asChannel;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const channel of this.channels) await channel.close();
    this.emit('close');
  }

  /** The connection dropped: every channel closes, then the connection. */
  drop(): void {
    void this.close();
  }

  /** This fake as the amqplib type a unit takes. */
  get asModel(): ChannelModel {
    return this as unknown as ChannelModel;
  }

  #open(): FakeChannel {
    if (this.refuseChannels !== undefined) throw this.refuseChannels;
    // As amqplib: a connection that is closing opens no channel.
    if (this.closed) throw new Error('Connection closed');
    const channel = new FakeChannel();
    this.channels.push(channel);
    return channel;
  }
}
