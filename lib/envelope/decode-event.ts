import type { IncomingMessage } from '../broker.js';
import { contentId } from './content-id.js';
import { binaryBinding, decodeBinaryCloudEvent } from './cloudevent-binary.js';
import { decodeStructuredCloudEvent, structuredKind } from './cloudevent-structured.js';
import { decodeJson } from './json-codec.js';
import { parseEvent, type Event } from './event.js';
import { MalformedMessageError } from '../errors/index.js';

/**
 * Reads the event a delivered message carries, whichever envelope a peer wrote (the one place
 * that chooses; docs/wire-format.md, "Envelopes eventwire consumes"):
 * 1. content type `application/cloudevents+json` (AMQP property or `content-type` header):
 *    a structured CloudEvent;
 * 2. a `ce_specversion`, `cloudEvents:specversion` or `cloudEvents_specversion` header: a
 *    binary-mode CloudEvent;
 * 3. otherwise a JSON body: a structured CloudEvent when it has `specversion` and no `name`,
 *    else eventwire's envelope, or the Python original's when `id` is absent (it takes the
 *    transport's id, see {@link transportIdOf}).
 * Anything else is a {@link MalformedMessageError} whose message says what is wrong.
 *
 * @example
 * const event = decodeEvent(message); // { id, name, data, timestamp, source, cloudEvent? }
 */
export function decodeEvent(message: IncomingMessage): Event {
  const headers = message.headers;
  const contentType = message.contentType ?? headers['content-type'];
  // `application/json` (what binary mode writes) is told apart without the case-blind search.
  if (contentType !== undefined && contentType !== 'application/json' && /cloudevents/i.test(contentType)) {
    const kind = structuredKind(contentType);
    if (kind === 'batch') throw new MalformedMessageError(message.topic, 'CloudEvents batches (application/cloudevents-batch+json) are not supported; send one event per message.');
    if (kind === 'single') return decodeStructuredCloudEvent(message.topic, decodeJson(message));
  }
  const binding = binaryBinding(headers);
  if (binding !== undefined) return decodeBinaryCloudEvent(message, binding, contentType);
  const payload = decodeJson(message);
  if (typeof payload !== 'object' || payload === null) return parseEvent(message.topic, payload);
  // A structured CloudEvent sent without its content type: `specversion` and no `name`.
  if ('specversion' in payload && !('name' in payload)) return decodeStructuredCloudEvent(message.topic, payload);
  return parseEvent(message.topic, payload, 'id' in payload ? undefined : transportIdOf(message));
}

/**
 * The id of an event whose envelope has none: the transport's ({@link IncomingMessage.transportId}),
 * else the {@link contentId} of its topic and body, so that a redelivery of the same bytes gets the
 * same id.
 *
 * @example
 * transportIdOf(message); // 'orders/0/42' on Kafka
 */
export function transportIdOf(message: IncomingMessage): string {
  if (message.transportId !== undefined) return message.transportId;
  return contentId(message.topic, message.value);
}
