import { EventwireError } from './base.js';

/**
 * The broker did not acknowledge a message. `cause` holds the client's error.
 *
 * @example
 * await producer.send('orders', order).catch((e) => e instanceof PublishError && e.topic);
 */
export class PublishError extends EventwireError {
  readonly code: string = 'EVENTWIRE_PUBLISH_FAILED';
  constructor(
    readonly topic: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The broker did not acknowledge within `publishTimeoutMs`; the message may or may not have
 * been stored, so a retry can produce a duplicate (consumers de-duplicate by event id).
 *
 * @example
 * if (error instanceof PublishTimeoutError) metrics.increment('publish.timeout');
 */
export class PublishTimeoutError extends PublishError {
  override readonly code = 'EVENTWIRE_PUBLISH_TIMEOUT';
  constructor(topic: string, timeoutMs: number) {
    super(
      topic,
      `The broker did not acknowledge the message to "${topic}" within ${timeoutMs} ms. ` +
        'Check that the broker is reachable, or raise publishTimeoutMs.',
    );
  }
}

/**
 * The encoded message is larger than `maxMessageBytes`.
 *
 * @example
 * await send('files', hugeObject); // MessageTooLargeError: 2000000 bytes, over the limit of 1000000
 */
export class MessageTooLargeError extends EventwireError {
  readonly code = 'EVENTWIRE_MESSAGE_TOO_LARGE';
  constructor(
    readonly topic: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      `The message to "${topic}" is ${size} bytes, over the limit of ${limit} bytes (maxMessageBytes). ` +
        'Send a reference to the data instead, or raise maxMessageBytes within what the broker accepts.',
    );
  }
}

/**
 * The message cannot be written as JSON: it holds a BigInt, a cycle or a value JSON.stringify
 * rejects, or it is `undefined`, a function or a symbol itself (for an event: its `data` is).
 *
 * @example
 * await send('orders', { total: 10n }); // SerializationError
 */
export class SerializationError extends EventwireError {
  readonly code = 'EVENTWIRE_SERIALIZATION';
  /** `event`: the event "name" whose data it was, when an event's data is what cannot be written. */
  constructor(topic: string, options?: { cause?: unknown; event?: string }) {
    const what = options?.event === undefined ? `The message to "${topic}"` : `The data of event "${options.event}" (to "${topic}")`;
    super(
      `${what} cannot be serialized as JSON. BigInt values and circular references ` +
        'cannot be written (convert BigInts to strings, remove the cycles), and the ' +
        (options?.event === undefined ? 'message itself must not be undefined, a function or a symbol' : 'data must not be undefined, a function or a symbol (pass null for an event without data)') +
        '. Dates become ISO strings; functions and undefined inside objects are left out.',
      options?.cause === undefined ? undefined : { cause: options.cause },
    );
  }
}

/**
 * The broker refused a publish without an error of its client's (a RabbitMQ nack): the `cause`
 * of the {@link PublishError} a send then rejects with.
 *
 * @example
 * throw new BrokerRefusedError('RabbitMQ nacked a message to "orders".');
 */
export class BrokerRefusedError extends EventwireError {
  readonly code = 'EVENTWIRE_BROKER_REFUSED';
}

/**
 * The broker refused a publish because fewer replicas are in sync than the topic requires
 * (Kafka's `NOT_ENOUGH_REPLICAS`: fewer than `min.insync.replicas` brokers hold the partition,
 * usually because brokers are down). Nothing of the refused publish was acknowledged; sending
 * again once the brokers are back succeeds. The `cause` of the {@link PublishError} a send then
 * rejects with; its own `cause` is the client's error.
 *
 * @example
 * if (error instanceof PublishError && error.cause instanceof NotEnoughReplicasError) retryLater();
 */
export class NotEnoughReplicasError extends EventwireError {
  readonly code = 'EVENTWIRE_NOT_ENOUGH_REPLICAS';
}
