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

/**
 * `configureMessaging()` was called again while the default instance it would replace is in use
 * (connected to its broker, running consumers or holding buffered events): replacing it would
 * leave those running unseen.
 *
 * @example
 * configureMessaging({ broker: 'kafka' }); await publishEvent('x', {}); configureMessaging({ broker: 'redis' }); // MessagingAlreadyConfiguredError
 */
export class MessagingAlreadyConfiguredError extends EventwireError {
  readonly code = 'EVENTWIRE_ALREADY_CONFIGURED';
  constructor() {
    super(
      'configureMessaging() was called again while the default instance is in use (connected to its broker, running consumers or holding buffered events). ' +
        'Close it first: `await resetMessaging()`, or `await getMessaging().close()` to keep the registered consumers for the next instance.',
    );
  }
}
