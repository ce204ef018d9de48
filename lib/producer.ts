import type { Broker, Headers, OutgoingMessage } from './broker.js';
import { encodeJson } from './codec.js';
import { createDeadlines } from './deadlines.js';
import { EventwireError, InvalidArgumentError, PublishError, PublishTimeoutError } from './errors.js';
import type { ResolvedOptions } from './options.js';
import { redactSecrets } from './redact.js';
import type { MessagingStats } from './stats.js';
import { describe, expectObject, expectTopic } from './validate.js';

/**
 * Options of {@link Producer.send}.
 *
 * @example
 * await getProducer().send('orders.created', order, { key: String(order.id), headers: { tenant: 'acme' } });
 */
export interface SendOptions {
  /** Ordering/partition key. Messages with one key stay in order (Kafka: same partition). */
  readonly key?: string | number;
  /** String headers carried beside the payload. */
  readonly headers?: Readonly<Record<string, string>>;
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
  broker(): Promise<Broker>;
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
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

/**
 * Builds the publisher of one instance.
 *
 * Timeouts: publishes that start within a short window share one deadline (one timer, one
 * `AbortSignal` handed to the adapter) instead of one timer each, which under load kept
 * thousands of timers alive. The window is `deadlineWindowMs(publishTimeoutMs)` (lib/deadlines.ts), 50 ms
 * for the default 10 s: a publish rejects with `PublishTimeoutError` between `publishTimeoutMs`
 * and `publishTimeoutMs` + window after it started, never earlier.
 *
 * @example
 * const publisher = createPublisher({ options, stats, broker: () => brokerPromise, published() {} });
 */
export function createPublisher(deps: PublisherDeps): Publisher {
  const { options, stats } = deps;
  const deadlines = createDeadlines(options.publishTimeoutMs);

  const publish = async (topic: string, messages: readonly OutgoingMessage[]): Promise<void> => {
    const deadline = deadlines.join();
    const { signal } = deadline.controller;
    try {
      const sent = (async () => {
        const broker = await deps.broker();
        await broker.publish(topic, messages, signal);
      })();
      await deadlines.wait(deadline, sent);
    } catch (error) {
      stats.publishFailures += 1;
      // The deadline fired, or an adapter that honours `signal` (RabbitMQ, Kafka) rejected with
      // its reason the moment it fired: either way "no acknowledgement in time".
      if (signal.aborted) throw new PublishTimeoutError(topic, options.publishTimeoutMs);
      throw asPublishError(topic, error);
    }
    stats.published += messages.length;
    deps.published(topic, messages);
  };

  const encode = (topic: string, message: unknown, sendOptions: SendOptions = {}): OutgoingMessage => {
    expectTopic('topic', topic);
    expectObject('send options', sendOptions);
    const key = sendOptions.key;
    if (key !== undefined && typeof key !== 'string' && typeof key !== 'number') {
      throw new InvalidArgumentError('key', `Expected \`key\` to be a string or a number, got ${describe(key)}.`);
    }
    const headers = checkHeaders(sendOptions.headers ?? {});
    const value = encodeJson(topic, message, options.maxMessageBytes);
    return { key: key === undefined ? undefined : String(key), headers, value };
  };

  return {
    encode,
    publish,
    send: async (topic, message, sendOptions) => publish(topic, [encode(topic, message, sendOptions)]),
  };
}

function checkHeaders(headers: unknown): Headers {
  const object = expectObject('headers', headers);
  for (const [name, value] of Object.entries(object)) {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError('headers', `Expected header \`${name}\` to be a string, got ${describe(value)}.`);
    }
  }
  return { ...(object as Record<string, string>) };
}

function asPublishError(topic: string, error: unknown): EventwireError {
  if (error instanceof EventwireError) return error;
  const detail = error instanceof Error ? redactSecrets(error.message) : 'unknown error';
  return new PublishError(topic, `The broker did not accept the message to "${topic}": ${detail}`, { cause: error });
}
