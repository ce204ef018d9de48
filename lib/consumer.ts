import { retryDelay, type BackoffPolicy } from './backoff.js';
import { keepsTopics, type Broker, type Subscription } from './broker.js';
import { compose, type Handler, type HandlerMiddleware } from './handler.js';
import type { Logger } from './logger.js';
import type { Publisher } from './producer.js';
import { deferred, type Deferred } from './settle.js';
import type { MessagingStats } from './stats.js';
import { withDeadLetter } from './with-dead-letter.js';
import { DeliveryAbandonedError, withRetry, type ShouldRetry } from './with-retry.js';

/**
 * A registered consumer (from `createConsumer` or `messageHandler`).
 *
 * @example
 * const consumer = createConsumer({ groupId: 'order-service', topics: ['user-events'], handlers });
 * await consumer.start(); … await consumer.stop();
 */
export interface Consumer {
  /** The consumer group; for a `messageHandler` without one, `<source>.<function name>`. */
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Whether `runConsumers()` and the CLI start it. */
  readonly autoStart: boolean;
  readonly running: boolean;
  /** Messages whose handling (handler, retries, dead-lettering) has started and not yet ended. */
  readonly inFlight: number;
  /** Subscribes (to `topics`, or to the given subset); resolves once messages can flow. */
  start(options?: { readonly topics?: readonly string[] }): Promise<void>;
  /** Stops taking messages, lets in-flight handlers finish and acknowledges them. */
  stop(): Promise<void>;
  /** Settles when the consumer stopped; rejects if its subscription failed. */
  readonly closed: Promise<void>;
}

/** Key under which an instance exposes its {@link ConsumerRuntime} to the module-level API. */
export const runtimeKey = Symbol('eventwire.runtime');

/** What a consumer needs from the instance that runs it. */
export interface ConsumerRuntime {
  readonly logger: Logger;
  readonly stats: MessagingStats;
  readonly publisher: Publisher;
  readonly source: string;
  broker(): Promise<Broker>;
  /** Lets the instance stop running consumers at close. */
  track(consumer: Consumer, running: boolean): void;
}

/** A consumer's settings after validation. */
export interface ConsumerDefinition {
  readonly groupId: string | ((source: string) => string);
  readonly topics: readonly string[];
  readonly concurrency: number;
  readonly autoStart: boolean;
  readonly maxRetries: number;
  readonly backoff: BackoffPolicy;
  readonly shouldRetry: ShouldRetry | undefined;
  /** The user's links, already checked and adapted, outermost first. */
  readonly middleware: readonly HandlerMiddleware[];
  readonly deadLetterTopic: string | false | undefined;
  /** The innermost link, built per instance so that it counts into that instance's stats. */
  readonly terminal: (stats: MessagingStats) => Handler;
}

/**
 * Binds a definition to the instance that will run it; `runtime` is resolved at start, so a
 * module can register handlers before `configureMessaging` runs.
 *
 * @example
 * const consumer = bindConsumer(definition, () => instanceRuntime);
 */
export function bindConsumer(definition: ConsumerDefinition, runtime: () => ConsumerRuntime): Consumer {
  let controller: AbortController | undefined;
  let subscription: Subscription | undefined;
  let starting: Promise<void> | undefined;
  let settle: Deferred<void> | undefined;
  let closed = Promise.resolve();
  let inFlight = 0;

  const groupId = (): string =>
    typeof definition.groupId === 'string' ? definition.groupId : definition.groupId(runtime().source);

  const begin = async (topics: readonly string[]): Promise<void> => {
    const rt = runtime();
    const broker = await rt.broker();
    const group = groupId();
    const deadLetterFor = definition.deadLetterTopic === undefined ? (topic: string) => `${topic}.dlq` : definition.deadLetterTopic;
    if (deadLetterFor !== false && keepsTopics(broker)) {
      const targets = new Set(topics.map((topic) => (typeof deadLetterFor === 'string' ? deadLetterFor : deadLetterFor(topic))));
      for (const topic of targets) await broker.keepTopic(topic);
    }
    const handler = handlingChain(definition, rt, typeof deadLetterFor === 'string' ? () => deadLetterFor : deadLetterFor);
    const abort = new AbortController();
    const context = { groupId: group, attempt: 1, signal: abort.signal, logger: rt.logger };
    subscription = await broker.subscribe(
      { groupId: group, topics, concurrency: definition.concurrency, signal: abort.signal },
      (message) => {
        inFlight += 1;
        return handler(message, context)
          .catch((error: unknown) => {
            if (!(error instanceof DeliveryAbandonedError)) {
              rt.logger.error('message could not be handled or dead-lettered; left unacknowledged for redelivery', {
                topic: message.topic, groupId: group, error,
              });
            }
            throw error;
          })
          .finally(() => (inFlight -= 1));
      },
    );
    controller = abort;
    rt.track(consumer, true);
    subscription.closed.then(
      () => settle?.resolve(),
      (error: unknown) => {
        rt.logger.error('consumer stopped on an error', { groupId: group, topics, error });
        settle?.reject(error);
      },
    ).finally(() => {
      controller = undefined;
      rt.track(consumer, false);
    });
  };

  const consumer: Consumer = {
    get groupId() {
      return groupId();
    },
    topics: definition.topics,
    autoStart: definition.autoStart,
    get running() {
      return controller !== undefined;
    },
    get inFlight() {
      return inFlight;
    },
    get closed() {
      return closed;
    },
    start(options = {}) {
      if (starting !== undefined) return starting;
      const topics = options.topics ?? definition.topics;
      settle = deferred();
      closed = settle.promise;
      closed.catch(() => {});
      starting = begin(topics).catch((error: unknown) => {
        starting = undefined;
        settle?.resolve();
        throw error;
      });
      return starting;
    },
    async stop() {
      if (starting === undefined) return;
      await starting.catch(() => {});
      controller?.abort();
      await subscription?.closed.catch(() => {});
      starting = undefined;
    },
  };
  return consumer;
}

/**
 * The chain a delivery runs through, outermost first. Dead letter outside retry: it acts on the
 * final outcome. The user's middleware inside retry, so that it sees every attempt, and outside
 * the terminal (decoding, validation, context), so that it sees every message as delivered.
 */
function handlingChain(definition: ConsumerDefinition, rt: ConsumerRuntime, topicFor: ((topic: string) => string) | false): Handler {
  return compose(
    [
      withDeadLetter({ topicFor, publish: rt.publisher.publish, stats: rt.stats }),
      withRetry({
        maxRetries: definition.maxRetries,
        delay: (attempt) => retryDelay(definition.backoff, attempt),
        shouldRetry: definition.shouldRetry,
        stats: rt.stats,
      }),
      ...definition.middleware,
    ],
    definition.terminal(rt.stats),
  );
}
