import { retryDelay, type BackoffPolicy } from '../handling/backoff.js';
import { keepsTopics, type Broker, type IncomingMessage, type Subscription } from '../broker.js';
import { attempt, compose, type DeliveryContext, type Link, type Middleware } from '../handling/chain.js';
import type { Logger } from '../config/logger.js';
import type { Publisher } from '../publishing/producer.js';
import { deferred, type Deferred } from '../waiting.js';
import type { MessagingStats } from '../stats.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { withTransportChecks } from '../handling/transport-checks.js';
import { withDeadLetter } from '../handling/with-dead-letter.js';
import { withRetry, type ShouldRetry } from '../handling/with-retry.js';
import { DeliveryAbandonedError } from '../errors/index.js';
import { deadLetterTopics } from './dead-letter-topic.js';

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
  readonly telemetry: Telemetry;
  readonly publisher: Publisher;
  readonly source: string;
  /** Whether `source` was configured (options or MESSAGING_SOURCE) rather than taken from npm or the fallback. */
  readonly sourceConfigured: boolean;
  /** The instance's broker; throws `MessagingClosedError` once the instance closed. */
  broker(): Broker;
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
  readonly middleware: readonly Middleware[];
  readonly deadLetterTopic: string | false | undefined;
  /** The innermost link, built per instance so that it counts into that instance's stats. */
  readonly terminal: (stats: MessagingStats, telemetry: Telemetry) => Link;
}

/**
 * Binds a definition to the instance that will run it; `runtime` is resolved at start, so a
 * module can register handlers before `configureMessaging` runs.
 *
 * @example
 * const consumer = bindConsumer(definition, () => instanceRuntime);
 */
export function bindConsumer(definition: ConsumerDefinition, runtime: () => ConsumerRuntime): Consumer {
  return new BoundConsumer(definition, runtime);
}

/** One registered consumer's state: idle, starting, running (a subscription), or stopping. */
class BoundConsumer implements Consumer {
  readonly topics: readonly string[];
  readonly autoStart: boolean;
  #inFlight = 0;
  /** Aborts the subscription; set while it runs. */
  #controller: AbortController | undefined;
  #subscription: Subscription | undefined;
  /** The current start(), shared by concurrent callers; cleared by stop() and by a failed start. */
  #starting: Promise<void> | undefined;
  /** Ends {@link closed} when the current subscription ends. */
  #ending: Deferred<void> | undefined;
  #closed: Promise<void> = Promise.resolve();

  constructor(
    private readonly definition: ConsumerDefinition,
    private readonly runtime: () => ConsumerRuntime,
  ) {
    this.topics = definition.topics;
    this.autoStart = definition.autoStart;
  }

  get groupId(): string {
    const { groupId } = this.definition;
    return typeof groupId === 'string' ? groupId : groupId(this.runtime().source);
  }

  get running(): boolean {
    return this.#controller !== undefined;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get closed(): Promise<void> {
    return this.#closed;
  }

  start(options: { readonly topics?: readonly string[] } = {}): Promise<void> {
    if (this.#starting !== undefined) return this.#starting;
    const ending = deferred();
    this.#ending = ending;
    this.#closed = ending.promise;
    this.#closed.catch(() => {});
    this.#starting = this.#subscribe(options.topics ?? this.definition.topics).catch((error: unknown) => {
      this.#starting = undefined;
      ending.resolve();
      throw error;
    });
    return this.#starting;
  }

  async stop(): Promise<void> {
    if (this.#starting === undefined) return;
    await this.#starting.catch(() => {});
    this.#controller?.abort();
    await this.#subscription?.closed.catch(() => {});
    this.#starting = undefined;
  }

  async #subscribe(topics: readonly string[]): Promise<void> {
    const rt = this.runtime();
    const broker = rt.broker();
    const group = this.groupId;
    if (typeof this.definition.groupId !== 'string' && !rt.sourceConfigured) warnDerivedGroup(rt, group);
    const deadLetterFor = deadLetterTopics(this.definition.deadLetterTopic);
    if (deadLetterFor !== false && keepsTopics(broker)) {
      for (const topic of new Set(topics.map(deadLetterFor))) await broker.keepTopic(topic);
    }
    const handler = handlingChain(this.definition, rt, deadLetterFor);
    const abort = new AbortController();
    const context = { groupId: group, attempt: 1, signal: abort.signal, logger: rt.logger };
    this.#subscription = await broker.subscribe(
      { groupId: group, topics, concurrency: this.definition.concurrency, signal: abort.signal },
      (message) => this.#deliver(handler, message, context),
    );
    this.#controller = abort;
    rt.track(this, true);
    const ending = this.#ending;
    this.#subscription.closed.then(
      () => ending?.resolve(),
      (error: unknown) => {
        rt.logger.error('consumer stopped on an error', { groupId: group, topics, error });
        ending?.reject(error);
      },
    ).finally(() => {
      this.#controller = undefined;
      rt.track(this, false);
    });
  }

  /**
   * Runs one delivery through the chain, counting it in flight; a rejection leaves it
   * unacknowledged. One `then` rather than an async frame: with an async context manager (an
   * OpenTelemetry SDK) every promise a delivery makes costs a context copy.
   */
  #deliver(handler: Link, message: IncomingMessage, context: DeliveryContext): Promise<void> {
    this.#inFlight += 1;
    return attempt(handler, message, context).then(
      () => {
        this.#inFlight -= 1;
      },
      (error: unknown) => {
        this.#inFlight -= 1;
        if (!(error instanceof DeliveryAbandonedError)) {
          this.runtime().logger.error('message could not be handled or dead-lettered; left unacknowledged for redelivery', {
            topic: message.topic, groupId: context.groupId, error,
          });
        }
        throw error;
      },
    );
  }
}

/**
 * A group named after a `source` nobody configured changes with how the process starts (`npm`
 * and `npx` set npm_package_name, `node` does not), and a group under a new name starts at the
 * end of its topics: what was published in between is never handled by it.
 */
function warnDerivedGroup(rt: ConsumerRuntime, group: string): void {
  rt.logger.warn(
    `The consumer group "${group}" is named after \`source\` ("${rt.source}"), which was not configured, so it may change with how the process is started (npm sets npm_package_name, node does not). ` +
      'Set `source` (or MESSAGING_SOURCE), or give the handler a `groupId`: a group under a new name starts at the end of its topics.',
    { groupId: group },
  );
}

/**
 * The chain a delivery runs through, outermost first. The `process` span (when tracing) outside
 * everything, so that retries and the dead letter happen inside it. Dead letter outside retry: it acts on the
 * final outcome. The user's middleware inside retry, so that it sees every attempt, and outside
 * the transport checks and the terminal (decoding, validation, context), so that it sees every
 * message as delivered. While no SDK records (the API installed, none registered), a delivery
 * takes the same chain without the telemetry links, which would only pass it on.
 */
function handlingChain(definition: ConsumerDefinition, rt: ConsumerRuntime, topicFor: ((topic: string) => string) | false): Link {
  const traced = rt.telemetry.processLink();
  const counted = rt.telemetry.handlingLink();
  const inner = compose(
    [
      withRetry({
        maxRetries: definition.maxRetries,
        delay: (attempt) => retryDelay(definition.backoff, attempt),
        shouldRetry: definition.shouldRetry,
        stats: rt.stats,
        telemetry: rt.telemetry,
      }),
      ...definition.middleware,
      withTransportChecks(rt.stats),
    ],
    definition.terminal(rt.stats, rt.telemetry),
  );
  const deadLetter = withDeadLetter({ topicFor, publish: rt.publisher.publish, stats: rt.stats, telemetry: rt.telemetry });
  const bare = compose([deadLetter], inner);
  if (traced === undefined && counted === undefined) return bare;
  const full = compose([...(traced === undefined ? [] : [traced]), deadLetter, ...(counted === undefined ? [] : [counted])], inner);
  const { telemetry } = rt;
  return (message, ctx) => (telemetry.recording() ? full(message, ctx) : bare(message, ctx));
}
