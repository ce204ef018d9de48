import type { IncomingMessage } from '../lib/broker.js';
import { decodeEvent, transportIdOf } from '../lib/envelope/decode-event.js';
import { eventIdHeader } from '../lib/messaging.js';

/**
 * The id the inbox de-duplicates on: the `eventwire-id` header, else the decoded event's id
 * (CloudEvents, the envelope's `id`, or the id derived for an envelope without one), else the
 * transport's id for a payload that is no event at all.
 *
 * @example
 * const id = inboxEventId(message);
 */
export function inboxEventId(message: IncomingMessage): string {
  const header = message.headers[eventIdHeader];
  if (typeof header === 'string' && header !== '') return header;
  try {
    return decodeEvent(message).id;
  } catch {
    // Not an event (a raw messageHandler payload): the transport's id still names the message.
    return transportIdOf(message);
  }
}
