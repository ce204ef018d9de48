import type { IncomingMessage, TransportFields } from '../broker.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { ContextFactory, DeliveryContext, MessageContext, MessageInfo } from './chain.js';

/** Shared by every delivery whose transport adds no fields of its own. */
const noTransportFields: TransportFields = Object.freeze({});

/**
 * Runs a user handler with its {@link MessageContext}: the delivery's details merged with the
 * `context` factory's result (the seed's injected `db`). The factory runs once per attempt, so a
 * retry gets a fresh session; a result with `[Symbol.asyncDispose]` is disposed afterwards. The
 * result is for the caller to await: what the call returned, or a promise when a factory runs.
 *
 * @example
 * await runWithContext(message, ctx, async () => ({ db }), (c) => handle(payload, c));
 */
export function runWithContext<C extends object>(
  message: IncomingMessage,
  ctx: DeliveryContext,
  factory: ContextFactory<C> | undefined,
  call: (context: MessageContext<C>) => unknown,
): unknown {
  const info: MessageInfo = {
    topic: message.topic,
    key: message.key,
    headers: message.headers,
    typedHeaders: message.typedHeaders ?? message.headers,
    messageId: message.id,
    transportFields: message.transportFields ?? noTransportFields,
    groupId: ctx.groupId,
    attempt: ctx.attempt,
    deliveryCount: message.deliveryCount,
    signal: ctx.signal,
    logger: ctx.logger,
  };
  // Without a factory the call's own result is returned: the caller awaits it, one async frame fewer per message.
  return factory === undefined ? call(info as MessageContext<C>) : withFactory(info, factory, call);
}

async function withFactory<C extends object>(info: MessageInfo, factory: ContextFactory<C>, call: (context: MessageContext<C>) => unknown): Promise<void> {
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
