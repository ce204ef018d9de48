import type { OutgoingMessage } from '../lib/broker.js';
import { MessagingClosedError } from '../lib/errors/index.js';

/**
 * What every adapter's `publish` checks before it touches its client, in this order: a closed
 * broker rejects with `MessagingClosedError`, an aborted signal with its reason, and an empty
 * batch has nothing to send. Returns whether there is something to send.
 *
 * @example
 * if (!mayPublish(connection.closed, messages, signal)) return;
 */
export function mayPublish(closed: boolean, messages: readonly OutgoingMessage[], signal: AbortSignal | undefined): boolean {
  if (closed) throw new MessagingClosedError();
  signal?.throwIfAborted();
  return messages.length > 0;
}
