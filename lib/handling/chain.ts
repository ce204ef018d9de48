import type { Headers, IncomingMessage, TransportFields, TypedHeaders } from '../broker.js';
import type { Logger } from '../config/logger.js';

/**
 * What the consumer runner passes down the handling chain with each delivery.
 *
 * @example
 * const ctx: DeliveryContext = { groupId: 'billing', attempt: 1, signal, logger };
 */
export interface DeliveryContext {
  readonly groupId: string;
  /** 1 for the first attempt of this delivery, then 2, 3, … as retries run. */
  readonly attempt: number;
  /** Aborted when the consumer stops: retries stop waiting, handlers may stop early. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/**
 * One link of the handling chain (the user's own function is the handler; a link is any step
 * a delivery passes through). Resolving means "acknowledge"; rejecting means "leave it
 * unacknowledged" (the broker delivers it again).
 *
 * @example
 * const logEach: Link = async (message, ctx) => ctx.logger.info('got', { topic: message.topic });
 */
export type Link = (message: IncomingMessage, ctx: DeliveryContext) => Promise<void>;

/**
 * A function that wraps a link, Watermill-style: the built-in retry and dead-letter links are
 * each one, and so is every entry of a consumer's `middleware` option. Such a link runs inside the
 * retry loop, once per attempt: resolving means handled, rejecting means this attempt failed.
 *
 * @example
 * const timed: Middleware = (next) => async (m, ctx) => { const t = Date.now(); await next(m, ctx); metrics.observe(Date.now() - t); };
 */
export type Middleware = (next: Link) => Link;

/**
 * What a user's handler sees beside the message: where it came from and which attempt this is,
 * merged with whatever the `context` factory returned (the seed's `db`).
 *
 * @example
 * async (message, ctx) => { if (ctx.attempt > 1) ctx.logger.warn('retrying'); await ctx.db.save(message); }
 */
export interface MessageInfo {
  readonly topic: string;
  readonly key: string | undefined;
  /** The headers as text, on every broker (a RabbitMQ number `5` reads `'5'`, a table its JSON). */
  readonly headers: Headers;
  /**
   * The same headers with the values' own types where the transport has them: on RabbitMQ as
   * amqplib decoded the AMQP field table (numbers, booleans, `Buffer`s, nested tables, arrays);
   * on the other brokers the same object as `headers` (docs/wire-format.md, "Header values").
   */
  readonly typedHeaders: TypedHeaders;
  /**
   * The broker's id for this message, the same on every delivery of it: Kafka
   * `partition:offset`, the Redis entry id, RabbitMQ's AMQP `message_id` (docs/wire-format.md).
   */
  readonly messageId: string;
  /** The transport's own facts about this delivery (RabbitMQ: `deliveryTag`, `redelivered`); empty on the other brokers. */
  readonly transportFields: TransportFields;
  readonly groupId: string;
  readonly attempt: number;
  /** Deliveries of this message to the group so far, when the broker can tell. */
  readonly deliveryCount: number | undefined;
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

/** {@link MessageInfo} plus the context factory's result. */
export type MessageContext<C extends object = object> = MessageInfo & C;

/**
 * Creates the per-message context; an object with `[Symbol.asyncDispose]` is disposed after the
 * handler ran.
 *
 * @example
 * const context: ContextFactory<{ db: Db }> = async () => ({ db: await pool.connect() });
 */
export type ContextFactory<C extends object> = (info: MessageInfo) => C | Promise<C>;

/**
 * Composes middleware outermost first.
 *
 * @example
 * const handler = compose([withDeadLetter(dl), withRetry(retry)], terminal);
 */
export function compose(middleware: readonly Middleware[], terminal: Link): Link {
  return middleware.reduceRight<Link>((next, wrap) => wrap(next), terminal);
}

/**
 * Calls a handler, turning a synchronous throw (a hand-written middleware's) into a rejection,
 * so that a link can chain on the promise without an async frame of its own.
 *
 * @example
 * return attempt(next, message, ctx).catch((error) => recover(error));
 */
export function attempt(handler: Link, message: IncomingMessage, ctx: DeliveryContext): Promise<void> {
  try {
    return handler(message, ctx);
  } catch (error) {
    return Promise.reject(error);
  }
}
