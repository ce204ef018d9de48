import type { Headers, OutgoingMessage } from './broker.js';
import { decodeEvent } from './envelope/decode-event.js';
import { getMessaging } from './default-messaging.js';
import type { Event } from './envelope/event.js';
import { InvalidArgumentError, WaitTimeoutError } from './errors/index.js';
import { describe, expectFunction, expectKnownKeys, expectObject, expectString } from './config/validate.js';
import { expectDelay } from './config/expect-delay.js';

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
  if (typeof (messaging as Partial<Messaging> | null)?.onPublished !== 'function') {
    throw new InvalidArgumentError('messaging', `Expected \`messaging\` to be an eventwire instance (createMessaging(), createTestMessaging() or getMessaging()), got ${describe(messaging)}.`);
  }
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

  function wait<T>(what: string, accept: (record: PublishedMessage) => T | undefined, timeoutMs: number): Promise<T> {
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
    waitForEvent: <T>(name: string, options: WaitOptions<Event> = {}) => {
      expectString('name', name);
      const { timeoutMs, where } = waitOptions('waitForEvent', options);
      return wait(`event "${name}"`, (r) => (r.event?.name === name && (where?.(r.event) ?? true) ? (r.event as Event<T>) : undefined), timeoutMs);
    },
    waitForMessage: (topic, options = {}) => {
      expectString('topic', topic);
      const { timeoutMs, where } = waitOptions('waitForMessage', options);
      return wait(`message on "${topic}"`, (r) => (r.topic === topic && (where?.(r) ?? true) ? r : undefined), timeoutMs);
    },
    clear: () => void messages.splice(0),
    stop,
  };
}

/** Checked wait options: a misspelt name, a timeout no timer keeps or a `where` that is no function throws at the call, not later. */
function waitOptions<T>(method: string, options: WaitOptions<T>): { readonly timeoutMs: number; readonly where: ((record: T) => boolean) | undefined } {
  expectKnownKeys(`${method} options`, expectObject(`${method} options`, options), ['timeoutMs', 'where']);
  const where = options.where === undefined ? undefined : expectFunction<(record: T) => boolean>('where', options.where);
  return { timeoutMs: expectDelay('timeoutMs', options.timeoutMs ?? 2_000, 1), where };
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
