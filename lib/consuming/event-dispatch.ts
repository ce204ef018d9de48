import { decodeEvent } from '../envelope/decode-event.js';
import { eventNameHeader, type Event } from '../envelope/event.js';
import type { ContextFactory, Link, MessageContext } from '../handling/chain.js';
import { parseWithSchema, type SchemaOutput, type StandardSchema } from '../envelope/schema.js';
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
 * Types a schema-validated entry of `handlers`, so `event.data` has the schema's type.
 *
 * @example
 * handlers: { 'user.created': withSchema(UserCreated, async (event) => event.data.email) }
 */
export function withSchema<S extends StandardSchema, C extends object = object>(
  schema: S,
  handle: EventHandler<SchemaOutput<S>, C>,
): SchemaEventHandler<S, C> {
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
  return async (message, ctx) => {
    const event = decodeEvent(message);
    if (message.headers[eventNameHeader] === undefined) options.telemetry?.eventRead(event);
    const entry = Object.hasOwn(options.handlers, event.name) ? options.handlers[event.name] : undefined;
    if (entry === undefined) {
      options.stats.skipped += 1;
      ctx.logger.debug('no handler for event; acknowledged and skipped', { topic: message.topic, event: event.name, groupId: ctx.groupId });
      return;
    }
    const handle = (typeof entry === 'function' ? entry : entry.handle) as EventHandler<unknown, C>;
    const data = typeof entry === 'function' ? event.data : await parseWithSchema(entry.schema, event.data, message.topic);
    const typed: Event = data === event.data ? event : { ...event, data };
    await runWithContext(message, ctx, options.context, (context) => handle(typed, context));
    options.stats.handled += 1;
    options.telemetry?.eventHandled(message.topic, ctx.groupId, event.timestamp);
  };
}
