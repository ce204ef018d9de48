import { decodeJson } from '../envelope/json-codec.js';
import { eventNameHeader } from '../envelope/event.js';
import { structuredKind } from '../envelope/cloudevent-structured.js';
import type { IncomingMessage } from '../broker.js';
import { attempt, type ContextFactory, type DeliveryContext, type Link, type MessageContext } from '../handling/chain.js';
import { parseWithSchema, type StandardSchema } from '../envelope/schema.js';
import type { MessagingStats } from '../stats.js';
import { runWithContext } from '../handling/with-context.js';

/**
 * A `messageHandler` function: the raw JSON payload (or the schema's output) and the context.
 *
 * @example
 * const fn: MessageFunction<{ order_id: number }> = async (message, ctx) => console.log(message.order_id, ctx.topic);
 */
export type MessageFunction<T, C extends object = object> = (message: T, ctx: MessageContext<C>) => unknown;

/**
 * The innermost link for `messageHandler`: decode JSON, validate with the schema if any, build
 * the context, call the function. Malformed JSON and schema failures throw permanent errors,
 * which the retry link does not retry.
 *
 * @example
 * const terminal = payloadHandler({ schema: OrderCreated, stats }, async (order) => ship(order));
 */
export function payloadHandler<T, C extends object>(
  options: { readonly schema?: StandardSchema | undefined; readonly context?: ContextFactory<C> | undefined; readonly stats: MessagingStats },
  fn: MessageFunction<T, C>,
): Link {
  const { schema, context, stats } = options;
  const counted = (): void => {
    stats.handled += 1;
  };
  // Chained, not async: with an async context manager (an OpenTelemetry SDK) every promise a
  // delivery makes costs a context copy, and an async frame with an await makes two.
  const call = (message: IncomingMessage, ctx: DeliveryContext, payload: unknown): Promise<void> =>
    Promise.resolve(runWithContext(message, ctx, context, (info) => fn(payload as T, info))).then(counted);
  const handle: Link = (message, ctx) => {
    const raw = decodeJson(message);
    if (schema === undefined) return call(message, ctx, raw);
    return parseWithSchema(schema, raw, message.topic, () => envelopeHint(message)).then((payload) => call(message, ctx, payload));
  };
  return (message, ctx) => attempt(handle, message, ctx);
}

/**
 * Why a payload schema may fail on an event: `messageHandler` checks the message body as it was
 * sent, and the body of an event in eventwire's envelope (or a structured CloudEvent) is the
 * envelope, with the payload under `data`.
 */
function envelopeHint(message: IncomingMessage): string | undefined {
  const name = message.headers[eventNameHeader];
  const structured = structuredKind(message.contentType ?? message.headers['content-type']) === 'single';
  if (name === undefined && !structured) return undefined;
  const what = name === undefined ? 'a structured CloudEvent' : `the event "${name}" in eventwire's envelope`;
  return `The message is ${what}, and messageHandler's schema checks the whole body: to check the event's \`data\`, consume it with createConsumer's handlers (each may have a schema), or publish plain payloads with getProducer().send().`;
}
