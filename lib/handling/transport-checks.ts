import { MalformedMessageError } from '../errors/index.js';
import type { MessagingStats } from '../stats.js';
import { attempt, type Middleware } from './chain.js';

/**
 * The link that acts on what the transport reported about a delivery
 * ({@link IncomingMessage.malformed}, {@link IncomingMessage.warnings}): a message it could not
 * read fails with a {@link MalformedMessageError} (dead-lettered at once, never retried); parts it
 * left out are logged and counted on the first attempt, and the message is handled.
 *
 * @example
 * compose([withDeadLetter(dl), withRetry(retry), withTransportChecks(stats)], terminal);
 */
export function withTransportChecks(stats: MessagingStats): Middleware {
  return (next) => (message, ctx) => {
    if (message.malformed !== undefined) return Promise.reject(new MalformedMessageError(message.topic, message.malformed));
    if (message.warnings !== undefined && ctx.attempt === 1) {
      for (const warning of message.warnings) ctx.logger.warn(`a part of a message could not be read and was left out: ${warning}`, { topic: message.topic, groupId: ctx.groupId, messageId: message.id });
      stats.unreadableParts += message.warnings.length;
    }
    return attempt(next, message, ctx);
  };
}
