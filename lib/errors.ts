import { redactSecrets, redactUrl } from './redact.js';

/**
 * Every error eventwire throws is an {@link EventwireError} with a stable `code`. Recognise them
 * with `instanceof` or `code`, never by message text: messages may be reworded.
 *
 * @example
 * try { await getProducer().send('orders', order); }
 * catch (error) { if (error instanceof PublishError) retryLater(order); else throw error; }
 */
export abstract class EventwireError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * A public entry point received a value it cannot use. `argument` names the offending option.
 *
 * @example
 * createMessaging({ broker: 'nats' }); // InvalidArgumentError: Expected `broker` to be one of ...
 */
export class InvalidArgumentError extends EventwireError {
  readonly code = 'EVENTWIRE_INVALID_ARGUMENT';
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The API was used before `configureMessaging` and with no `MESSAGING_BROKER` in the environment.
 *
 * @example
 * getProducer(); // MessagingNotConfiguredError
 */
export class MessagingNotConfiguredError extends EventwireError {
  readonly code = 'EVENTWIRE_NOT_CONFIGURED';
  constructor() {
    super(
      'Messaging is not configured. Call configureMessaging({ broker, url }) at start-up, or set ' +
        'MESSAGING_BROKER (kafka, rabbitmq, redis or memory) and the broker address in the environment.',
    );
  }
}

/**
 * An optional peer dependency (a broker client) is not installed.
 *
 * @example
 * configureMessaging({ broker: 'kafka' }); await publishEvent('x', {}); // install kafkajs
 */
export class MissingDependencyError extends EventwireError {
  readonly code = 'EVENTWIRE_MISSING_DEPENDENCY';
  constructor(
    readonly packageName: string,
    purpose: string,
  ) {
    super(`The ${purpose} needs the package "${packageName}". Install it with: npm install ${packageName}`);
  }
}

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
 * rejects, or it is `undefined`, a function or a symbol itself.
 *
 * @example
 * await send('orders', { total: 10n }); // SerializationError
 */
export class SerializationError extends EventwireError {
  readonly code = 'EVENTWIRE_SERIALIZATION';
  constructor(topic: string, options?: { cause?: unknown }) {
    super(
      `The message to "${topic}" cannot be serialized as JSON. BigInt values and circular references ` +
        'cannot be written (convert BigInts to strings, remove the cycles), and the message itself must ' +
        'not be undefined, a function or a symbol. Dates become ISO strings; functions and undefined ' +
        'inside objects are left out.',
      options,
    );
  }
}

/**
 * A connection to the broker failed; the message names the broker and its address, with the
 * password masked (`address`), and secrets are removed from the client library's detail.
 */
export abstract class BrokerConnectionError extends EventwireError {
  readonly address: string;
  constructor(
    readonly broker: string,
    address: string,
    what: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const shown = redactUrl(address);
    super(`${broker} at ${shown} ${what}: ${redactSecrets(detail)}`, options);
    this.address = shown;
  }
}

/**
 * The broker could not be reached: the connection was refused, timed out or dropped, or the
 * name did not resolve. `address` is shown with its password masked. A publish that fails
 * this way rejects with a {@link PublishError} whose `cause` is this error.
 *
 * @example
 * error instanceof BrokerUnreachableError; // "RabbitMQ at amqp://guest:***@mq:5672 is unreachable: connect ECONNREFUSED …"
 */
export class BrokerUnreachableError extends BrokerConnectionError {
  readonly code = 'EVENTWIRE_BROKER_UNREACHABLE';
  constructor(broker: string, address: string, detail: string, options?: { cause?: unknown }) {
    super(broker, address, 'is unreachable', detail, options);
  }
}

/**
 * The broker answered but refused the connection's login (user, password or virtual host).
 * `address` is shown with its password masked.
 *
 * @example
 * error instanceof BrokerLoginRefusedError; // "RabbitMQ at amqp://guest:***@mq:5672 refused the login: …"
 */
export class BrokerLoginRefusedError extends BrokerConnectionError {
  readonly code = 'EVENTWIRE_LOGIN_REFUSED';
  constructor(broker: string, address: string, detail: string, options?: { cause?: unknown }) {
    super(broker, address, 'refused the login', detail, options);
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
 * A received payload failed its schema. Never retried: dead-lettered at once.
 *
 * @example
 * ctx.error instanceof ValidationError && console.log(ctx.error.issues);
 */
export class ValidationError extends EventwireError {
  readonly code = 'EVENTWIRE_VALIDATION';
  constructor(
    readonly topic: string,
    readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] | undefined }[],
  ) {
    super(`A message on "${topic}" does not match its schema: ${summarizeIssues(issues)}`);
  }
}

/**
 * A received payload is not JSON, or not an eventwire event where one was expected.
 * Never retried: dead-lettered at once.
 *
 * @example
 * error instanceof MalformedMessageError; // true for the bytes "{not json"
 */
export class MalformedMessageError extends EventwireError {
  readonly code = 'EVENTWIRE_MALFORMED_MESSAGE';
  constructor(topic: string, detail: string, options?: { cause?: unknown }) {
    super(`A message on "${topic}" is malformed: ${detail}`, options);
  }
}

/**
 * Thrown by a handler or a handler middleware for a message that no retry can fix (an order
 * that no longer exists, a declined card): it is dead-lettered at once, with reason
 * `unrecoverable` and this error's message and `code`. Subclass it to set your own `code`.
 *
 * @example
 * if (order === undefined) throw new UnrecoverableError(`order ${id} does not exist`);
 */
export class UnrecoverableError extends EventwireError {
  readonly code: string = 'EVENTWIRE_UNRECOVERABLE';
}

/**
 * The instance was closed; create or configure a new one.
 *
 * @example
 * await messaging.close(); await messaging.publishEvent('x', {}); // MessagingClosedError
 */
export class MessagingClosedError extends EventwireError {
  readonly code = 'EVENTWIRE_CLOSED';
  constructor() {
    super('This messaging instance is closed. Create a new one with createMessaging() or configureMessaging().');
  }
}

function summarizeIssues(issues: ValidationError['issues']): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path?.map((part) => String(typeof part === 'object' && part !== null && 'key' in part ? part.key : part)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
