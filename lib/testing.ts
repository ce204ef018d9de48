import type { Headers, OutgoingMessage } from './broker.js';
import { decodeEvent } from './envelope/decode-event.js';
import { getMessaging } from './default-messaging.js';
import type { Event } from './envelope/event.js';
import { WaitTimeoutError } from './errors/index.js';

export { WaitTimeoutError } from './errors/index.js';
import { eventNameHeader, type Messaging } from './messaging.js';

export { resetMessaging } from './default-messaging.js';

/**
 * A message the broker acknowledged, as a test sees it.
 *
 * @example
 * recorder.messages[0]?.payload; // { order_id: 1 }
 */
export interface PublishedMessage {
  readonly topic: string;
  readonly key: string | undefined;
  readonly headers: Headers;
  /** The decoded JSON payload (the envelope, for events). */
  readonly payload: unknown;
  /** Set when the message is an eventwire event. */
  readonly event: Event | undefined;
}


/** Options of the recorder's waits. */
export interface WaitOptions<T> {
  /** Default 2000 ms. */
  readonly timeoutMs?: number;
  /** Only a record this predicate accepts counts. */
  readonly where?: (record: T) => boolean;
}

/**
 * Records what an instance publishes, for assertions such as "POST /users/register published
 * user.created".
 *
 * @example
 * const recorder = recordPublished(messaging);
 * await request(app).post('/users/register').send({ email }).expect(201);
 * const event = await recorder.waitForEvent('user.created');
 */
export interface PublishRecorder {
  readonly messages: readonly PublishedMessage[];
  readonly events: readonly Event[];
  /** Resolves with the first matching event, already published or still to come. */
  waitForEvent<T = unknown>(name: string, options?: WaitOptions<Event>): Promise<Event<T>>;
  /** Resolves with the first matching message on `topic`, already published or still to come. */
  waitForMessage(topic: string, options?: WaitOptions<PublishedMessage>): Promise<PublishedMessage>;
  clear(): void;
  /** Stops recording. */
  stop(): void;
}

/**
 * Starts recording an instance's acknowledged publishes (default: the configured instance).
 *
 * @example
 * const recorder = recordPublished();
 */
export function recordPublished(messaging: Messaging = getMessaging()): PublishRecorder {
  const messages: PublishedMessage[] = [];
  const waiters = new Set<(record: PublishedMessage) => void>();
  const stop = messaging.onPublished((topic, batch) => {
    for (const message of batch) {
      const payload = decode(message.value);
      const record: PublishedMessage = {
        topic,
        key: message.key,
        headers: message.headers,
        payload,
        event: eventOf(topic, message, payload),
      };
      messages.push(record);
      for (const waiter of [...waiters]) waiter(record);
    }
  });

  function wait<T>(what: string, accept: (record: PublishedMessage) => T | undefined, timeoutMs = 2_000): Promise<T> {
    for (const record of messages) {
      const hit = accept(record);
      if (hit !== undefined) return Promise.resolve(hit);
    }
    return new Promise((resolve, reject) => {
      const waiter = (record: PublishedMessage): void => {
        const hit = accept(record);
        if (hit === undefined) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        resolve(hit);
      };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        const seen = messages.map((m) => m.event?.name ?? m.topic).join(', ') || 'nothing';
        reject(new WaitTimeoutError(`No ${what} was published within ${timeoutMs} ms; published so far: ${seen}.`));
      }, timeoutMs);
      waiters.add(waiter);
    });
  }

  return {
    messages,
    get events() {
      return messages.flatMap((m) => (m.event === undefined ? [] : [m.event]));
    },
    waitForEvent: <T>(name: string, options: WaitOptions<Event> = {}) =>
      wait(`event "${name}"`, (r) => (r.event?.name === name && (options.where?.(r.event) ?? true) ? (r.event as Event<T>) : undefined), options.timeoutMs),
    waitForMessage: (topic, options = {}) =>
      wait(`message on "${topic}"`, (r) => (r.topic === topic && (options.where?.(r) ?? true) ? r : undefined), options.timeoutMs),
    clear: () => void messages.splice(0),
    stop,
  };
}

/** The event a published message carries, in eventwire's envelope or as a CloudEvent; else none. */
function eventOf(topic: string, message: OutgoingMessage, payload: unknown): Event | undefined {
  if (message.headers[eventNameHeader] !== undefined) return payload as Event;
  try {
    return decodeEvent({ topic, id: '', key: message.key, headers: message.headers, value: message.value, deliveryCount: undefined });
  } catch {
    return undefined;
  }
}

function decode(value: Buffer): unknown {
  try {
    return JSON.parse(value.toString('utf8')) as unknown;
  } catch {
    return value.toString('utf8');
  }
}
