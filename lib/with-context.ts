import type { IncomingMessage } from './broker.js';
import { InvalidArgumentError } from './errors.js';
import type { ContextFactory, DeliveryContext, MessageContext, MessageInfo } from './handler.js';

/**
 * Runs a user handler with its {@link MessageContext}: the delivery's details merged with the
 * `context` factory's result (the seed's injected `db`). The factory runs once per attempt, so a
 * retry gets a fresh session; a result with `[Symbol.asyncDispose]` is disposed afterwards.
 *
 * @example
 * await runWithContext(message, ctx, async () => ({ db }), (c) => handle(payload, c));
 */
export async function runWithContext<C extends object>(
  message: IncomingMessage,
  ctx: DeliveryContext,
  factory: ContextFactory<C> | undefined,
  call: (context: MessageContext<C>) => unknown,
): Promise<void> {
  const info: MessageInfo = {
    topic: message.topic,
    key: message.key,
    headers: message.headers,
    messageId: message.id,
    groupId: ctx.groupId,
    attempt: ctx.attempt,
    deliveryCount: message.deliveryCount,
    signal: ctx.signal,
    logger: ctx.logger,
  };
  if (factory === undefined) {
    await call(info as MessageContext<C>);
    return;
  }
  const extra = await factory(info);
  if (typeof extra !== 'object' || extra === null) {
    throw new InvalidArgumentError('context', 'Expected the `context` factory to return an object, such as { db }.');
  }
  const clash = Object.keys(extra).find((name) => name in info);
  if (clash !== undefined) {
    throw new InvalidArgumentError('context', `The \`context\` factory returned \`${clash}\`, a name eventwire reserves for message details; rename it.`);
  }
  try {
    await call({ ...extra, ...info });
  } finally {
    const dispose = (extra as { [Symbol.asyncDispose]?: () => Promise<void> })[Symbol.asyncDispose];
    if (typeof dispose === 'function') await dispose.call(extra);
  }
}
