import type { Broker, Headers, OutgoingMessage } from '../broker.js';
import type { EventIdentity } from '../envelope/event.js';
import { encodeJson } from '../envelope/json-codec.js';
import { createDeadlines } from './deadlines.js';
import { InvalidArgumentError, PublishTimeoutError } from '../errors/index.js';
import type { ResolvedOptions } from '../config/options.js';
import { publishFailure } from './publish-failure.js';
import type { MessagingStats } from '../stats.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { describe, expectKnownKeys, expectObject, expectTopic } from '../config/validate.js';

/**
 * Options of {@link Producer.send}.
 *
 * @example
 * await getProducer().send('orders.created', order, { key: String(order.id), headers: { tenant: 'acme' } });
 */
export interface SendOptions {
  /** Ordering/partition key. Messages with one key stay in order (Kafka: same partition). */
  readonly key?: string | number | undefined;
  /** String headers carried beside the payload. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * Publishes JSON messages and waits for the broker's acknowledgement.
 *
 * @example
 * await getProducer().send('orders.created', { order_id: 1, user_id: 2 });
 */
export interface Producer {
  /** Resolves once the broker acknowledged; rejects with a typed error otherwise. */
  send(topic: string, message: unknown, options?: SendOptions): Promise<void>;
}

/** What a publisher needs from its instance. */
export interface PublisherDeps {
  readonly options: ResolvedOptions;
  readonly stats: MessagingStats;
  /** Starts and ends the PRODUCER spans and puts trace context into the headers. */
  readonly telemetry: Telemetry;
  /** The instance's broker; throws `MessagingClosedError` once the instance closed. */
  broker(): Broker;
  /** Called after each acknowledged batch; the testing helpers listen here. */
  published(topic: string, messages: readonly OutgoingMessage[]): void;
}

/**
 * The publish path shared by `send`, `publishEvent`, the event buffer and dead-lettering:
 * one timeout, one error mapping, one set of counters.
 */
export interface Publisher extends Producer {
  /** Encodes and checks a message without sending it, so callers fail fast on bad input. */
  encode(topic: string, message: unknown, options?: SendOptions): OutgoingMessage;
  /** Checks a topic name (remembering the last one that passed). */
  checkTopic(topic: string): void;
  /** Encodes a message whose topic, key and headers the caller checked already (the event path); `event` is the one it carries. */
  encodeChecked(topic: string, message: unknown, key: string | undefined, headers: Headers, event?: EventIdentity): OutgoingMessage;
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

/**
 * Builds the publisher of one instance.
 *
 * Timeouts: publishes that start within a short window share one deadline (one timer, one
 * `AbortSignal` handed to the adapter) instead of one timer each, which under load kept
 * thousands of timers alive. The window is `deadlineWindowMs(publishTimeoutMs)` (lib/publishing/deadlines.ts), 50 ms
 * for the default 10 s: a publish rejects with `PublishTimeoutError` between `publishTimeoutMs`
 * and `publishTimeoutMs` + window after it started, never earlier.
 *
 * Per publish, the path does only what a caller could get wrong or what the contract needs: a
 * topic is checked once until another comes, a send without headers shares one frozen empty
 * object, and the broker is called in the same turn (no await of a settled promise).
 *
 * @example
 * const publisher = createPublisher({ options, stats, telemetry: noTelemetry, broker: () => broker, published() {} });
 */
export function createPublisher(deps: PublisherDeps): Publisher {
  const { options, stats, telemetry } = deps;
  const deadlines = createDeadlines(options.publishTimeoutMs);
  const brokerName = typeof options.broker === 'string' ? options.broker : options.broker.name;
  /** The last topic that passed `expectTopic`: senders usually repeat theirs. A string, so that a missing topic never matches it. */
  let checkedTopic = '';

  // deps.broker() throws once the instance closed, so the check stays on every publish; the
  // publish below turns that throw into the rejection.
  const start = (topic: string, messages: readonly OutgoingMessage[], signal: AbortSignal): Promise<void> =>
    deps.broker().publish(topic, messages, signal);

  const publish = (topic: string, given: readonly OutgoingMessage[]): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      // In the caller's context, before anything is awaited: the spans' parent is the caller's.
      const traced = telemetry.send(topic, given);
      const messages = traced === undefined ? given : traced.messages;
      const deadline = deadlines.join();
      const { signal } = deadline.controller;
      let settled = false;
      const fail = (error: unknown): void => {
        if (settled) return;
        settled = true;
        deadlines.drop(deadline, held);
        stats.publishFailures += 1;
        const failure = signal.aborted ? new PublishTimeoutError(topic, options.publishTimeoutMs) : publishFailure({ broker: brokerName, topic, count: messages.length }, error);
        traced?.end(failure);
        // The deadline fired, or an adapter that honours `signal` (RabbitMQ, Kafka) rejected with
        // its reason the moment it fired: either way "no acknowledgement in time".
        reject(failure);
      };
      const acknowledged = (): void => {
        if (settled) return;
        settled = true;
        deadlines.drop(deadline, held);
        stats.published += messages.length;
        traced?.end();
        try {
          deps.published(topic, messages);
        } catch (error) {
          // A listener's failure is the caller's to see; the messages are stored all the same.
          return reject(error);
        }
        resolve();
      };
      const held = deadlines.hold(deadline, fail);
      try {
        start(topic, messages, signal).then(acknowledged, fail);
      } catch (error) {
        // A broker whose publish throws instead of rejecting.
        fail(error);
      }
    });

  const checkTopic = (topic: string): void => {
    if (topic === checkedTopic && topic !== '') return;
    expectTopic('topic', topic);
    checkedTopic = topic;
  };

  const encodeChecked = (topic: string, message: unknown, key: string | undefined, headers: Headers, event?: EventIdentity): OutgoingMessage => ({
    id: event?.id,
    name: event?.name,
    key,
    headers,
    value: encodeJson(topic, message, options.maxMessageBytes),
  });

  const encode = (topic: string, message: unknown, sendOptions?: SendOptions): OutgoingMessage => {
    checkTopic(topic);
    if (sendOptions === undefined) return encodeChecked(topic, message, undefined, noHeaders);
    expectKnownKeys('send options', expectObject('send options', sendOptions), sendOptionNames);
    const key = checkKey(sendOptions.key);
    const given: unknown = sendOptions.headers;
    return encodeChecked(topic, message, key, given === undefined || given === null ? noHeaders : checkHeaders(given));
  };

  return {
    encode,
    checkTopic,
    encodeChecked,
    publish,
    send(topic, message, sendOptions) {
      let encoded: OutgoingMessage;
      try {
        encoded = encode(topic, message, sendOptions);
      } catch (error) {
        return Promise.reject(error);
      }
      return publish(topic, [encoded]);
    },
  };
}

/** The names {@link SendOptions} has: any other is a typo, refused rather than ignored. */
const sendOptionNames = ['key', 'headers'] as const;

/** The headers of every message sent without any: frozen, since adapters and listeners share it. */
const noHeaders: Headers = Object.freeze({});

/**
 * A message key as sent: a string, a number made a string, or none.
 *
 * @example
 * checkKey(42); // '42'
 */
export function checkKey(key: unknown): string | undefined {
  if (key === undefined) return undefined;
  if (typeof key !== 'string' && typeof key !== 'number') {
    throw new InvalidArgumentError('key', `Expected \`key\` to be a string or a number, got ${describe(key)}.`);
  }
  return String(key);
}

/**
 * Checks that every header is a string and returns a copy, so that the caller may reuse its
 * object while the message waits in the buffer.
 *
 * @example
 * checkHeaders({ tenant: 'acme' }); // { tenant: 'acme' }
 */
export function checkHeaders(headers: unknown): Record<string, string> {
  const object = expectObject('headers', headers);
  const copy: Record<string, string> = {};
  for (const name in object) {
    if (!Object.hasOwn(object, name)) continue;
    const value = object[name];
    if (typeof value !== 'string') {
      throw new InvalidArgumentError('headers', `Expected header \`${name}\` to be a string, got ${describe(value)}.`);
    }
    copy[name] = value;
  }
  return copy;
}
