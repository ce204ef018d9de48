import { decodeEvent } from '../envelope/decode-event.js';
import { eventNameHeader, type Event } from '../envelope/event.js';
import type { IncomingMessage } from '../broker.js';
import { attempt, type ContextFactory, type DeliveryContext, type Link, type MessageContext } from '../handling/chain.js';
import { expectSchema, parseWithSchema, type SchemaOutput, type StandardSchema } from '../envelope/schema.js';
import { expectFunction } from '../config/validate.js';
import type { MessagingStats } from '../stats.js';
import { runWithContext } from '../handling/with-context.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/**
 * A `createConsumer` handler: the parsed event and the context.
 *
 * @example
 * const onCreated: EventHandler = async (event, ctx) => ctx.logger.info(event.name);
 */
export type EventHandler<T = unknown, C extends object = object> = (event: Event<T>, ctx: MessageContext<C>) => unknown;

/**
 * A handler whose event `data` is validated (and parsed) by a schema first.
 *
 * @example
 * const entry: SchemaEventHandler<typeof UserCreated> = { schema: UserCreated, handle: async (e) => e.data.id };
 */
export interface SchemaEventHandler<S extends StandardSchema = StandardSchema, C extends object = object> {
  readonly schema: S;
  readonly handle: EventHandler<SchemaOutput<S>, C>;
}

/** What `handlers` maps each event name to. */
export type EventHandlerEntry<C extends object = object> = EventHandler<never, C> | SchemaEventHandler<StandardSchema, C>;

/**
 * Types a schema-validated entry of `handlers`, so `event.data` has the schema's type. Throws
 * `InvalidArgumentError` at once when `schema` is not a schema or `handle` not a function.
 *
 * @example
 * handlers: { 'user.created': withSchema(UserCreated, async (event) => event.data.email) }
 */
export function withSchema<S extends StandardSchema, C extends object = object>(
  schema: S,
  handle: EventHandler<SchemaOutput<S>, C>,
): SchemaEventHandler<S, C> {
  expectSchema('schema', schema, 'the first argument of withSchema');
  expectFunction('handle', handle);
  return { schema, handle };
}

/**
 * The innermost link for `createConsumer`: decode the envelope (any format {@link decodeEvent} reads), find the handler by event name
 * (none: acknowledged and skipped), validate `data` when the entry has a schema, call it.
 *
 * @example
 * const terminal = eventDispatch({ handlers: { 'user.created': onCreated } });
 */
export function eventDispatch<C extends object>(options: {
  readonly handlers: Readonly<Record<string, EventHandlerEntry<C>>>;
  readonly context?: ContextFactory<C> | undefined;
  readonly stats: MessagingStats;
  /** Told of each decoded event its headers did not name, and of each handled one (end-to-end latency). */
  readonly telemetry?: Pick<Telemetry, 'eventHandled' | 'eventRead'>;
}): Link {
  const { handlers, context, stats, telemetry } = options;
  // Chained, not async: with an async context manager (an OpenTelemetry SDK) every promise a
  // delivery makes costs a context copy, and an async frame with an await makes two.
  const call = (message: IncomingMessage, ctx: DeliveryContext, handle: EventHandler<unknown, C>, event: Event, data: unknown): Promise<void> => {
    const typed: Event = data === event.data ? event : { ...event, data };
    return Promise.resolve(runWithContext(message, ctx, context, (info) => handle(typed, info))).then(() => {
      stats.handled += 1;
      telemetry?.eventHandled(message.topic, ctx.groupId, event.timestamp);
    });
  };
  const handleEvent: Link = (message, ctx) => {
    const event = decodeEvent(message);
    if (message.headers[eventNameHeader] === undefined) telemetry?.eventRead(event);
    const entry = Object.hasOwn(handlers, event.name) ? handlers[event.name] : undefined;
    if (entry === undefined) {
      stats.skipped += 1;
      ctx.logger.debug('no handler for event; acknowledged and skipped', { topic: message.topic, event: event.name, groupId: ctx.groupId });
      return Promise.resolve();
    }
    if (typeof entry === 'function') return call(message, ctx, entry as EventHandler<unknown, C>, event, event.data);
    const handle = entry.handle as EventHandler<unknown, C>;
    return parseWithSchema(entry.schema, event.data, message.topic).then((data) => call(message, ctx, handle, event, data));
  };
  return (message, ctx) => attempt(handleEvent, message, ctx);
}
