import { unparseableTime, type CloudEventAttributes, type Event } from './event.js';
import { MalformedMessageError } from '../errors/index.js';
import { normaliseTimestamp } from './event-time.js';

/** The CloudEvents 1.0 attributes that are not extensions. */
const KNOWN = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'dataschema', 'datacontenttype', 'data', 'data_base64']);
const REQUIRED = ['id', 'source', 'type'] as const;
const OPTIONAL = ['time', 'subject', 'dataschema', 'datacontenttype'] as const;

/**
 * A CloudEvent's attributes as one binding carries them, and how that binding spells each one
 * (`ce_type` header, `cloudEvents:type` property, `type` JSON member), so that a dead letter's
 * reason names the attribute as the producer wrote it.
 */
export interface CloudEventInput {
  readonly topic: string;
  readonly mode: CloudEventAttributes['mode'];
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly spelled: (attribute: string) => string;
  readonly data: unknown;
}

/**
 * Checks a CloudEvent's context attributes and maps it to an {@link Event}: `type` is the name,
 * `time` the timestamp (normalised; the receipt time when absent), the rest in `cloudEvent`.
 * A missing or unusable attribute is a {@link MalformedMessageError} naming it.
 *
 * @example
 * toEvent({ topic, mode: 'structured', attributes: json, spelled: (a) => `\`${a}\` attribute`, data: json.data });
 */
export function toEvent(input: CloudEventInput): Event {
  const { topic, attributes, spelled } = input;
  const specversion = attributes.specversion;
  if (typeof specversion !== 'string' || specversion === '') throw missing(topic, spelled('specversion'));
  if (specversion !== '1.0') throw new MalformedMessageError(topic, `the CloudEvent's ${spelled('specversion')} is ${JSON.stringify(specversion.slice(0, 20))}; only CloudEvents 1.0 is supported, send "1.0".`);
  for (const name of REQUIRED) {
    const value = attributes[name];
    if (typeof value !== 'string' || value === '') throw missing(topic, spelled(name));
  }
  const optional: Partial<Record<(typeof OPTIONAL)[number], string>> = {};
  for (const name of OPTIONAL) {
    const value = attributes[name];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') throw new MalformedMessageError(topic, `the CloudEvent's ${spelled(name)} is not a string.`);
    optional[name] = value;
  }
  const timestamp = optional.time === undefined ? new Date().toISOString() : normaliseTimestamp(optional.time);
  if (timestamp === undefined) throw new MalformedMessageError(topic, unparseableTime(spelled('time'), optional.time ?? ''));
  const cloudEvent: CloudEventAttributes = { specversion, mode: input.mode, ...optional, extensions: extensions(topic, attributes, spelled) };
  return { id: attributes.id as string, name: attributes.type as string, source: attributes.source as string, timestamp, data: input.data, cloudEvent };
}

function missing(topic: string, attribute: string): MalformedMessageError {
  return new MalformedMessageError(topic, `the CloudEvent's required ${attribute} is missing or empty.`);
}

function extensions(topic: string, attributes: Readonly<Record<string, unknown>>, spelled: (attribute: string) => string): Record<string, string | number | boolean> {
  const found: Record<string, string | number | boolean> = {};
  for (const [name, value] of Object.entries(attributes)) {
    if (KNOWN.has(name) || value === undefined || value === null) continue;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new MalformedMessageError(topic, `the CloudEvent's extension ${spelled(name)} is not a string, number or boolean.`);
    }
    found[name] = value;
  }
  return found;
}

/**
 * Whether a data content type is JSON: absent (CloudEvents' default), `application/json`,
 * `text/json` or any `…+json`, parameters ignored.
 *
 * @example
 * isJsonContentType('application/vnd.acme+json; charset=utf-8'); // true
 */
export function isJsonContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return media === 'application/json' || media === 'text/json' || media.endsWith('+json');
}
