import { decodeJson } from '../envelope/json-codec.js';
import type { ContextFactory, Link, MessageContext } from '../handling/chain.js';
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
  return async (message, ctx) => {
    const raw = decodeJson(message);
    const payload = options.schema === undefined ? raw : await parseWithSchema(options.schema, raw, message.topic);
    await runWithContext(message, ctx, options.context, (context) => fn(payload as T, context));
    options.stats.handled += 1;
  };
}
