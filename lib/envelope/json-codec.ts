import type { IncomingMessage } from '../broker.js';
import { MalformedMessageError, MessageTooLargeError, SerializationError } from '../errors/index.js';

/**
 * Encodes a message as UTF-8 JSON, the one wire format on every broker.
 *
 * @example
 * encodeJson('orders', { id: 1 }, 1_048_576); // <Buffer 7b 22 69 64 22 3a 31 7d>
 */
export function encodeJson(topic: string, message: unknown, limit: number): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch (error) {
    throw new SerializationError(topic, { cause: error });
  }
  // JSON.stringify returns undefined for undefined, functions and symbols: nothing to send.
  if (text === undefined) throw new SerializationError(topic);
  const value = Buffer.from(text, 'utf8');
  if (value.length > limit) throw new MessageTooLargeError(topic, value.length, limit);
  return value;
}

/**
 * Throws {@link SerializationError} naming the event for data JSON would leave out of its
 * envelope (`undefined`, a function, a symbol): every consumer would read an event without `data`
 * and dead-letter it as malformed.
 *
 * @example
 * expectEventData('users', 'user.deleted', null); // passes: null is JSON
 */
export function expectEventData(topic: string, name: string, data: unknown): void {
  if (data === undefined || typeof data === 'function' || typeof data === 'symbol') throw new SerializationError(topic, { event: name });
}

/**
 * Decodes a delivered payload; bytes that are not JSON are a {@link MalformedMessageError}.
 *
 * @example
 * decodeJson(message); // { order_id: 1 }
 */
export function decodeJson(message: IncomingMessage): unknown {
  try {
    return JSON.parse(message.value.toString('utf8')) as unknown;
  } catch (error) {
    throw new MalformedMessageError(message.topic, 'the payload is not valid JSON.', { cause: error });
  }
}
