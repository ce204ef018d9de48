import { toEvent } from './cloudevent.js';
import type { Event } from './event.js';
import { MalformedMessageError } from '../errors/index.js';

/**
 * Whether a content type names CloudEvents' structured mode (`application/cloudevents+json`,
 * parameters ignored). The batch format is recognised so that it is refused with a reason.
 *
 * @example
 * structuredKind('application/cloudevents+json; charset=UTF-8'); // 'single'
 */
export function structuredKind(contentType: string | undefined): 'single' | 'batch' | undefined {
  if (contentType === undefined) return undefined;
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (media === 'application/cloudevents+json') return 'single';
  if (media === 'application/cloudevents-batch+json') return 'batch';
  return undefined;
}

/**
 * Reads a structured-mode CloudEvent from its decoded JSON document: `data` as it is, or
 * `data_base64` decoded to bytes.
 *
 * @example
 * decodeStructuredCloudEvent('orders', JSON.parse(body));
 */
export function decodeStructuredCloudEvent(topic: string, document: unknown): Event {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new MalformedMessageError(topic, 'a structured CloudEvent must be one JSON object { specversion, id, source, type, … }.');
  }
  const attributes = document as Record<string, unknown>;
  let data: unknown = attributes.data;
  if (attributes.data_base64 !== undefined) {
    if (typeof attributes.data_base64 !== 'string') throw new MalformedMessageError(topic, "the CloudEvent's `data_base64` attribute is not a string.");
    if ('data' in attributes) throw new MalformedMessageError(topic, 'the CloudEvent has both `data` and `data_base64`; send one.');
    data = Buffer.from(attributes.data_base64, 'base64');
  }
  return toEvent({ topic, mode: 'structured', attributes, spelled: (attribute) => `\`${attribute}\` attribute`, data });
}
