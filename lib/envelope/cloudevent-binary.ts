import type { Headers, IncomingMessage } from '../broker.js';
import { isJsonContentType, toEvent } from './cloudevent.js';
import type { Event } from './event.js';
import { MalformedMessageError } from '../errors/index.js';

/**
 * The header prefixes of CloudEvents' binary content mode: `ce_` (Kafka binding; eventwire uses
 * it on Redis too), `cloudEvents:` and `cloudEvents_` (AMQP binding, as application properties,
 * which RabbitMQ carries as headers). Any of them is read on any broker. Each comes with its
 * `<prefix>specversion` marker written out: the default path looks the markers up per message,
 * and literal keys are interned strings, which a lookup compares fastest.
 */
const MARKERS = [
  ['ce_', 'ce_specversion'],
  ['cloudEvents:', 'cloudEvents:specversion'],
  ['cloudEvents_', 'cloudEvents_specversion'],
] as const;

/**
 * The prefix of the binary-mode CloudEvent `headers` carry, or `undefined` when they carry none
 * (no `<prefix>specversion` header).
 *
 * @example
 * binaryPrefix({ ce_specversion: '1.0', ce_type: 'user.created' }); // 'ce_'
 */
export function binaryPrefix(headers: Headers): string | undefined {
  for (let index = 0; index < MARKERS.length; index += 1) {
    const [prefix, marker] = MARKERS[index] as (typeof MARKERS)[number];
    if (headers[marker] !== undefined) return prefix;
  }
  return undefined;
}

/**
 * Reads a binary-mode CloudEvent: attributes from the headers with `prefix`, the data content
 * type from `contentType` (the `content-type` header or the AMQP property), the body as data —
 * parsed as JSON for a JSON content type, a UTF-8 string for `text/*`, else the bytes; an empty
 * body is no data (`undefined`).
 *
 * @example
 * decodeBinaryCloudEvent(message, 'ce_', message.headers['content-type']);
 */
export function decodeBinaryCloudEvent(message: IncomingMessage, prefix: string, contentType: string | undefined): Event {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    if (name.startsWith(prefix)) attributes[name.slice(prefix.length)] = value;
  }
  if (contentType !== undefined) attributes.datacontenttype = contentType;
  const spelled = (attribute: string): string =>
    attribute === 'datacontenttype' && contentType !== undefined ? '`content-type`' : `\`${prefix}${attribute}\` header`;
  return toEvent({ topic: message.topic, mode: 'binary', attributes, spelled, data: binaryData(message, attributes.datacontenttype) });
}

function binaryData(message: IncomingMessage, contentType: string | undefined): unknown {
  if (message.value.length === 0) return undefined;
  if (isJsonContentType(contentType)) {
    try {
      return JSON.parse(message.value.toString('utf8')) as unknown;
    } catch (error) {
      throw new MalformedMessageError(message.topic, `the CloudEvent's data is not valid JSON although its content type is ${contentType ?? 'JSON (the default)'}.`, { cause: error });
    }
  }
  return /^\s*text\//i.test(contentType ?? '') ? message.value.toString('utf8') : message.value;
}
