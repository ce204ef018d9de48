import type { Channel, ConsumeMessage } from 'amqplib';

/** The part of amqplib's channel that acknowledging uses (a fake one in unit tests). */
export type AckTarget = Pick<Channel, 'ack'>;

/** A delivery of the channel not settled yet, in delivery-tag order. */
interface Outstanding {
  readonly message: ConsumeMessage;
  /** Its handler succeeded: it waits for the next flush to be acknowledged. */
  done: boolean;
}

/**
 * Acknowledges the deliveries of one channel, several with one `basic.ack` where it can.
 *
 * Why: each `basic.ack` frame frees one prefetch slot, and RabbitMQ answers it with one delivery:
 * a busy consumer then pays a socket write and a read per message. One ack with `multiple` for a
 * run of finished deliveries frees the slots together, and the deliveries that refill them come
 * together too.
 *
 * Contract: a multiple ack covers every delivery of the channel up to its tag, so one is sent
 * only for a run of finished deliveries starting at the oldest outstanding one; a finished
 * delivery behind one still running (or waiting, or failed and waiting for its nack) is
 * acknowledged on its own at the flush. A flush runs at once when nothing else is outstanding
 * (no delivery could join the batch), else in the next turn of the event loop (`setImmediate`),
 * after the deliveries that came with this one had their turn. {@link flush} sends what is
 * pending now (before the channel closes).
 *
 * @example
 * const acks = new AckBatcher(channel, (error) => logger.debug('ack dropped', { error }));
 * acks.track(message); // on delivery
 * acks.ack(message);   // handler succeeded
 */
export class AckBatcher {
  readonly #channel: AckTarget;
  readonly #onError: (error: unknown) => void;
  /** Outstanding deliveries, oldest first, from `#head` on. */
  #queue: Outstanding[] = [];
  #head = 0;
  #byMessage = new Map<ConsumeMessage, Outstanding>();
  #pending = 0;
  #scheduled = false;

  /** `onError` hears of an ack amqplib refused (a channel that closed: the broker requeues). */
  constructor(channel: AckTarget, onError: (error: unknown) => void) {
    this.#channel = channel;
    this.#onError = onError;
  }

  /** A delivery arrived: it is outstanding until acknowledged or {@link forget}ten. */
  track(message: ConsumeMessage): void {
    const entry: Outstanding = { message, done: false };
    this.#queue.push(entry);
    this.#byMessage.set(message, entry);
  }

  /** The delivery's handler succeeded: acknowledge it, batched with others finished by then. */
  ack(message: ConsumeMessage): void {
    const entry = this.#byMessage.get(message);
    if (entry === undefined || entry.done) return;
    entry.done = true;
    this.#pending += 1;
    if (this.#pending === this.#byMessage.size) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.flush();
      });
    }
  }

  /** The delivery is settled another way (nacked): it no longer holds back a multiple ack. */
  forget(message: ConsumeMessage): void {
    const entry = this.#byMessage.get(message);
    if (entry === undefined) return;
    this.#byMessage.delete(message);
    if (entry.done) this.#pending -= 1;
    const at = this.#queue.indexOf(entry, this.#head);
    if (at >= 0) this.#queue.splice(at, 1);
  }

  /** Acknowledges every finished delivery now: the run from the oldest with one frame, the rest one by one. */
  flush(): void {
    if (this.#pending === 0) return;
    const queue = this.#queue;
    const start = this.#head;
    let end = start;
    while (end < queue.length && (queue[end] as Outstanding).done) end += 1;
    if (end > start) this.#send((queue[end - 1] as Outstanding).message, end - start > 1);
    for (let index = start; index < end; index += 1) this.#settled(queue[index] as Outstanding);
    this.#head = end;
    if (this.#pending > 0) {
      // Finished behind one still running: each on its own, so that none waits for a slow neighbour.
      const rest: Outstanding[] = [];
      for (let index = end; index < queue.length; index += 1) {
        const entry = queue[index] as Outstanding;
        if (!entry.done) rest.push(entry);
        else {
          this.#send(entry.message, false);
          this.#settled(entry);
        }
      }
      this.#queue = rest;
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > queue.length) {
      // Drops the settled head once it is most of the array.
      this.#queue = queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #send(message: ConsumeMessage, multiple: boolean): void {
    try {
      this.#channel.ack(message, multiple);
    } catch (error) {
      this.#onError(error);
    }
  }

  #settled(entry: Outstanding): void {
    this.#byMessage.delete(entry.message);
    this.#pending -= 1;
  }
}
