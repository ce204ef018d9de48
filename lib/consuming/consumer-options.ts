import type { ConsumerDefinition } from './consumer.js';
import { InvalidArgumentError } from '../errors/index.js';
import { eventDispatch, type EventHandlerEntry } from './event-dispatch.js';
import { backoffPolicy, type Backoff, type Jitter } from '../handling/backoff.js';
import type { ContextFactory, Middleware } from '../handling/chain.js';
import { payloadHandler, type MessageFunction } from './message-handler.js';
import { expectSchema, type StandardSchema } from '../envelope/schema.js';
import { expectMiddleware } from '../handling/user-middleware.js';
import type { ShouldRetry } from '../handling/with-retry.js';
import {
  expectBoolean,
  expectFunction,
  expectGroupId,
  expectInteger,
  expectKnownKeys,
  expectObject,
  expectString,
  expectTopic,
  expectTopics,
} from '../config/validate.js';
import { expectDelay } from '../config/expect-delay.js';

/** Options both consumer styles share (besides `context`: {@link ContextOption}). */
export interface HandlingOptions {
  /** Attempts after the first. Default 3. */
  readonly maxRetries?: number | undefined;
  /** Wait before the first retry; with linear backoff, between all attempts. Default 1000. */
  readonly retryDelayMs?: number | undefined;
  /** `linear` (default): every retry `retryDelayMs` after the failure; `exponential`: doubling from `retryDelayMs`. */
  readonly backoff?: Backoff | undefined;
  /** Exponential only: `full` (default) waits a random time up to the doubled delay, `equal` at least half of it. */
  readonly jitter?: Jitter | undefined;
  /** Exponential only: the longest wait. Default 30000, or `retryDelayMs` if longer. */
  readonly maxRetryDelayMs?: number | undefined;
  /** Return `true` to retry a failed attempt; otherwise it is dead-lettered at once. Default: always retry. */
  readonly shouldRetry?: ShouldRetry | undefined;
  /**
   * Your own links, outermost first, each `(next) => handler`. They run inside the retry loop
   * (once per attempt, `ctx.attempt` tells which) and outside decoding and schema validation
   * (they see the raw message, and every failure below them).
   */
  readonly middleware?: readonly Middleware[] | undefined;
  /** Default `<topic>.dlq`; `false` logs and drops failed messages. */
  readonly deadLetterTopic?: string | false | undefined;
  /** Started by `runConsumers()` and the CLI. Default true. */
  readonly autoStart?: boolean | undefined;
  /** Messages handled at once by this process. Default 1 (in order). */
  readonly concurrency?: number | undefined;
}

/**
 * The per-message context factory, whose result is merged into `ctx` (the seed's `db`): required
 * when the handlers' `ctx` type (`MessageContext<C>`) asks for more than every message has, so
 * that a handler cannot be typed for a `ctx.db` nobody provides.
 */
export type ContextOption<C extends object> = object extends C
  ? { readonly context?: ContextFactory<C> | undefined }
  : { readonly context: ContextFactory<C> };

/**
 * Options of `createConsumer`: the seed's `@consumer` class with its `@on_event` methods.
 *
 * @example
 * createConsumer({ groupId: 'order-service', topics: ['user-events'], handlers: { 'user.created': onUserCreated } });
 */
export type ConsumerOptions<C extends object = object> = HandlingOptions &
  ContextOption<C> & {
    readonly groupId: string;
    readonly topics: string | readonly string[];
    /** Event name → handler, or `{ schema, handle }` (see `withSchema`). Others are skipped. */
    readonly handlers: Readonly<Record<string, EventHandlerEntry<C>>>;
  };

/**
 * Options of `messageHandler`: the seed's `@message_handler`.
 *
 * @example
 * messageHandler({ topic: 'payments.process', maxRetries: 3, retryDelayMs: 5000 }, processPayment);
 */
export type MessageHandlerOptions<S extends StandardSchema | undefined = undefined, C extends object = object> = HandlingOptions &
  ContextOption<C> &
  MessageHandlerTopics & {
    /** Default `<source>.<function name>`, so instances of one service share the load. */
    readonly groupId?: string | undefined;
    /** Validates (and parses) the payload; failures are dead-lettered at once. */
    readonly schema?: S | undefined;
  };

/**
 * What a `messageHandler` reads: exactly one of `topic` or `topics` (the same thing, under the
 * seed's two spellings), so that leaving both out, or giving both, fails to compile as it fails at run time.
 */
export type MessageHandlerTopics =
  | { readonly topic: string | readonly string[]; readonly topics?: undefined }
  | { readonly topics: string | readonly string[]; readonly topic?: undefined };

const handlingKeys = [
  'maxRetries', 'retryDelayMs', 'backoff', 'jitter', 'maxRetryDelayMs', 'shouldRetry', 'middleware', 'deadLetterTopic', 'context', 'autoStart', 'concurrency',
];

/**
 * Validates `createConsumer` options into a definition.
 *
 * @example
 * consumerDefinition(options);
 */
export function consumerDefinition<C extends object>(options: ConsumerOptions<C>): ConsumerDefinition {
  const object = expectObject('createConsumer options', options);
  expectKnownKeys('createConsumer options', object, ['groupId', 'topics', 'handlers', ...handlingKeys]);
  const handlers = expectPlainHandlers(options.handlers);
  for (const [name, entry] of Object.entries(handlers)) checkEntry(name, entry);
  const topics = expectTopics('topics', options.topics);
  return {
    ...handling(options, topics),
    groupId: expectGroupId('groupId', options.groupId),
    topics,
    terminal: (stats, telemetry) => eventDispatch({ handlers: options.handlers, context: options.context, stats, telemetry }),
  };
}

/**
 * Validates `messageHandler` options into a definition.
 *
 * @example
 * messageHandlerDefinition({ topic: 'orders.created' }, handleOrder);
 */
export function messageHandlerDefinition<S extends StandardSchema | undefined, C extends object>(
  options: MessageHandlerOptions<S, C>,
  fn: MessageFunction<never, C>,
): ConsumerDefinition {
  const object = expectObject('messageHandler options', options);
  expectKnownKeys('messageHandler options', object, ['topic', 'topics', 'groupId', 'schema', ...handlingKeys]);
  expectFunction('handler', fn);
  if ((options.topic === undefined) === (options.topics === undefined)) {
    throw new InvalidArgumentError('topic', 'Expected exactly one of `topic` or `topics` in messageHandler options.');
  }
  const topics = expectTopics(options.topic === undefined ? 'topics' : 'topic', options.topic ?? options.topics);
  if (options.schema !== undefined) expectSchema('schema', options.schema, '`schema`');
  let groupId: ConsumerDefinition['groupId'];
  if (options.groupId !== undefined) groupId = expectGroupId('groupId', options.groupId);
  else if (fn.name !== '') groupId = (source) => derivedGroupId(source, fn.name);
  else throw new InvalidArgumentError('groupId', 'messageHandler with an anonymous function needs a `groupId`: pass one, or use a named function.');
  return {
    ...handling(options, topics),
    groupId,
    topics,
    terminal: (stats) => payloadHandler({ schema: options.schema, context: options.context, stats }, fn as MessageFunction<unknown, C>),
  };
}

function handling<C extends object>(
  options: HandlingOptions & { readonly context?: ContextFactory<C> | undefined },
  topics: readonly string[],
): Omit<ConsumerDefinition, 'groupId' | 'topics' | 'terminal'> {
  if (options.context !== undefined) expectFunction('context', options.context);
  if (options.shouldRetry !== undefined) expectFunction('shouldRetry', options.shouldRetry);
  const deadLetter = options.deadLetterTopic;
  if (deadLetter !== undefined && deadLetter !== false) expectTopic('deadLetterTopic', deadLetter);
  if (typeof deadLetter === 'string' && topics.includes(deadLetter)) {
    throw new InvalidArgumentError(
      'deadLetterTopic',
      `Expected \`deadLetterTopic\` to be a topic this consumer does not read, got "${deadLetter}": each dead letter would come back to the same handler and fail again, in a loop. Leave it out for "<topic>.dlq", or name another topic.`,
    );
  }
  return {
    maxRetries: expectInteger('maxRetries', options.maxRetries ?? 3, 0),
    backoff: backoffPolicy(options, expectDelay('retryDelayMs', options.retryDelayMs ?? 1_000, 0)),
    shouldRetry: options.shouldRetry,
    middleware: options.middleware === undefined ? [] : expectMiddleware(options.middleware),
    concurrency: expectInteger('concurrency', options.concurrency ?? 1, 1),
    autoStart: expectBoolean('autoStart', options.autoStart ?? true),
    deadLetterTopic: deadLetter,
  };
}

/**
 * The group a `messageHandler` without `groupId` takes: `<source>.<function name>`. A source that
 * makes it invalid (a scoped package name such as `@acme/orders`, which is `npm_package_name`'s
 * default) or a bound function's name (`bound handle`) is reported with where the id came from.
 */
function derivedGroupId(source: string, functionName: string): string {
  const id = `${source}.${functionName}`;
  try {
    return expectGroupId('groupId', id);
  } catch (error) {
    if (!(error instanceof InvalidArgumentError)) throw error;
    throw new InvalidArgumentError(
      'groupId',
      `The messageHandler "${functionName}" has no \`groupId\`, and the one made from \`source\` and its name, "${id}", is not a valid group id (1 to 200 letters, digits, ".", "_", ":" or "-"). Pass a \`groupId\`, or set \`source\` (or MESSAGING_SOURCE) to a name without other characters.`,
    );
  }
}

/**
 * `handlers` as a plain object of own entries. A `Map` or a class instance (whose methods sit on
 * its prototype) has no own entries eventwire would read: every event would be skipped as unknown.
 */
function expectPlainHandlers(value: unknown): Record<string, unknown> {
  const handlers = expectObject('handlers', value);
  const prototype: unknown = Object.getPrototypeOf(handlers);
  if (prototype === Object.prototype || prototype === null) return handlers;
  const what = handlers instanceof Map ? 'a Map (pass Object.fromEntries(map))' : `an instance of ${(prototype as { constructor?: { name?: string } }).constructor?.name || 'a class'} (its methods are on the prototype: pass { 'event.name': (event, ctx) => service.method(event, ctx) })`;
  throw new InvalidArgumentError('handlers', `Expected \`handlers\` to be a plain object of event names to handlers, got ${what}.`);
}

function checkEntry(name: string, entry: unknown): void {
  expectString('handlers key', name);
  if (typeof entry === 'function') return;
  if (typeof entry === 'object' && entry !== null && 'handle' in entry && 'schema' in entry) {
    // A { schema, handle } pair with one part wrong: say which part.
    expectSchema(`handlers.${name}.schema`, entry.schema, `\`handlers["${name}"].schema\``);
    expectFunction(`handlers.${name}.handle`, entry.handle);
    return;
  }
  throw new InvalidArgumentError(
    `handlers.${name}`,
    `Expected \`handlers["${name}"]\` to be a function (event, ctx) => … or { schema, handle } (see withSchema).`,
  );
}
