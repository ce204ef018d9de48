import type { ConfirmChannel } from 'amqplib';
import type { OutgoingMessage } from '../../lib/broker.js';
import { BrokerRefusedError } from '../../lib/errors/index.js';
import type { Waiting } from '../../lib/waiter-list.js';
import { abortable, listen, unlisten } from '../../lib/waiting.js';
import { isWrapper, type ClientSpans } from '../client-spans.js';
import { publishBody, publishProperties } from './codec.js';
import { exchangeFor, type Exchanges } from './exchanges.js';
import { HeaderTable } from './header-table.js';

/** The part of amqplib's confirm channel that publishing uses (a fake one in unit tests). */
export type ConfirmTarget = Pick<ConfirmChannel, 'publish' | 'once' | 'off' | 'assertExchange'>;

/**
 * One publishing (confirm) channel and why the server closed it, if it did (e.g. 406, a message
 * over its max_message_size): amqplib then fails the pending confirms with a bare "channel
 * closed", and {@link ConfirmLane.send} reports the server's reason instead.
 *
 * @example
 * const lane = new ConfirmLane(await model.createConfirmChannel(), { main: 'eventwire', deadLetters: 'eventwire.dlq' });
 * channel.on('error', (error) => lane.refused(error));
 * await lane.send('orders', messages, signal);
 */
export class ConfirmLane {
  readonly #channel: ConfirmTarget;
  readonly #exchanges: Exchanges;
  readonly #nacked: () => void;
  readonly #clientSpans: ClientSpans | undefined;
  #refusal: Error | undefined;
  /** The dead-letter exchange's declaration on this channel: made before its first publish. */
  #deadLetters: Promise<void> | undefined;
  #deadLettersReady = false;
  /** The headers table reused for the publishes of this channel (header-table.ts). */
  readonly #headerTable = new HeaderTable();

  /**
   * The owner declared `exchanges.main` on `channel`; the lane declares `exchanges.deadLetters`
   * itself before the first dead letter, so that a broker that never dead-letters has no such
   * exchange. `nacked` is told of every nack, so that the owner can replace a channel the
   * server nacks on; `clientSpans` keeps amqplib's OpenTelemetry instrumentation off these
   * publishes when eventwire traces.
   */
  constructor(channel: ConfirmTarget, exchanges: Exchanges, nacked: () => void = () => {}, clientSpans?: ClientSpans) {
    this.#channel = channel;
    this.#exchanges = exchanges;
    this.#nacked = nacked;
    this.#clientSpans = clientSpans;
  }

  /** The server closed the channel for `error`: publishes that fail from now on report it. */
  refused(error: Error): void {
    this.#refusal = error;
  }

  /**
   * Publishes `messages` in order and resolves once RabbitMQ confirmed them all; rejects at the
   * first nack or refusal, or with the signal's reason as soon as it aborts (messages not written
   * yet are then not written; those written may still be stored). One promise and one confirm
   * callback per batch, not per message: a busy channel spends less on bookkeeping per publish.
   * A dead-letter topic (`<topic>.dlq`) goes to the dead-letter exchange, the others to the main one.
   */
  send(topic: string, messages: readonly OutgoingMessage[], signal: AbortSignal | undefined): Promise<void> {
    const exchange = exchangeFor(this.#exchanges, topic);
    if (exchange === this.#exchanges.main || this.#deadLettersReady) return this.#write(exchange, topic, messages, signal);
    this.#deadLetters ??= this.#channel.assertExchange(exchange, 'topic', { durable: true }).then(() => void (this.#deadLettersReady = true));
    return abortable(this.#deadLetters, signal).then(() => this.#write(exchange, topic, messages, signal));
  }

  #write(exchange: string, topic: string, messages: readonly OutgoingMessage[], signal: AbortSignal | undefined): Promise<void> {
    const channel = this.#channel;
    return new Promise<void>((resolve, reject) => {
      let unconfirmed = messages.length;
      let settled = false;
      let listening: Waiting | undefined;
      const finish = (error?: unknown): void => {
        if (settled) return;
        settled = true;
        unlisten(listening);
        if (error === undefined) resolve();
        else reject(error);
      };
      // The server's reason for closing the channel beats amqplib's bare "channel closed".
      const confirmed = (error: unknown): void => {
        if (error && this.#refusal === undefined) this.#nacked();
        if (error) finish(this.#refusal ?? (error instanceof Error ? error : new BrokerRefusedError(`RabbitMQ nacked a message to "${topic}".`)));
        else if (--unconfirmed === 0) finish();
      };
      // Checked once per batch: an instrumentation wraps the channel's publish before it is used.
      const clientSpans = this.#clientSpans?.wraps(channel.publish) === true ? this.#clientSpans : undefined;
      // A wrapped publish may keep or add to the headers it is given: those get an object of their own.
      const table = isWrapper(channel.publish) ? undefined : this.#headerTable;
      if (signal !== undefined) listening = listen(signal, finish);
      if (messages.length === 1) {
        // The usual single send: no writer to resume after back-pressure, so none is made.
        try {
          if (!settled) this.#publish(clientSpans, table, exchange, topic, messages[0] as OutgoingMessage, confirmed);
        } catch (error) {
          finish(error);
        }
        return;
      }
      const write = (from: number): void => {
        for (let index = from; index < messages.length && !settled; index += 1) {
          let writable: boolean;
          try {
            writable = this.#publish(clientSpans, table, exchange, topic, messages[index] as OutgoingMessage, confirmed);
          } catch (error) {
            // amqplib throws at once on a channel that closed already.
            return finish(error);
          }
          // The rest of the batch waits until amqplib's channel buffer drained; after the last
          // message nothing is left to hold back, and its confirm comes after its bytes anyway.
          if (!writable && index + 1 < messages.length) return void drained(channel, topic).then(() => write(index + 1), finish);
        }
      };
      write(0);
    });
  }

  /** Writes one message; false when amqplib's channel buffer is full. Throws on a closed channel. */
  #publish(clientSpans: ClientSpans | undefined, table: HeaderTable | undefined, exchange: string, topic: string, message: OutgoingMessage, confirmed: (error: unknown) => void): boolean {
    const channel = this.#channel;
    if (clientSpans === undefined) return channel.publish(exchange, topic, publishBody(message), publishProperties(message, table), confirmed);
    return clientSpans.publish(channel.publish, () => channel.publish(exchange, topic, publishBody(message), publishProperties(message, table), confirmed));
  }
}

/** Back-pressure: amqplib buffers past its high-water mark until the socket drains. */
function drained(channel: ConfirmTarget, topic: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = (): void => {
      channel.off('close', onClose);
      resolve();
    };
    const onClose = (): void => {
      channel.off('drain', onDrain);
      reject(new BrokerRefusedError(`The RabbitMQ channel closed while publishing to "${topic}".`));
    };
    channel.once('drain', onDrain);
    channel.once('close', onClose);
  });
}
