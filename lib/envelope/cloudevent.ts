import { unparseableTime, type CloudEventAttributes, type Event } from './event.js';
import { MalformedMessageError } from '../errors/index.js';
import { normaliseTimestamp } from './event-time.js';

/** The CloudEvents 1.0 attributes that are not extensions. */
export const NON_EXTENSIONS = ['specversion', 'id', 'source', 'type', 'time', 'subject', 'dataschema', 'datacontenttype', 'data', 'data_base64'] as const;
const KNOWN: ReadonlySet<string> = new Set(NON_EXTENSIONS);

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
  /**
   * The extensions, when the binding collected them itself (binary mode: header values, always
   * strings); else every member of `attributes` that is no attribute of the specification.
   */
  readonly extensions?: Readonly<Record<string, string>>;
}

/** A {@link CloudEventAttributes} being built: its optional attributes are set only when sent. */
type Draft = { -readonly [K in keyof CloudEventAttributes]: CloudEventAttributes[K] };

/**
 * Checks a CloudEvent's context attributes and maps it to an {@link Event}: `type` is the name,
 * `time` the timestamp (normalised; the receipt time when absent), the rest in `cloudEvent`.
 * A missing or unusable attribute is a {@link MalformedMessageError} naming it; the checks run in
 * a fixed order (specversion, id, source, type, time, subject, dataschema, datacontenttype, the
 * time's form, extensions), so that a message with several faults always gets the same reason.
 *
 * @example
 * toEvent({ topic, mode: 'structured', attributes: json, spelled: (a) => `\`${a}\` attribute`, data: json.data });
 */
export function toEvent(input: CloudEventInput): Event {
  const { topic, attributes, spelled } = input;
  const specversion = attributes.specversion;
  if (typeof specversion !== 'string' || specversion === '') throw missing(topic, spelled('specversion'));
  if (specversion !== '1.0') throw new MalformedMessageError(topic, `the CloudEvent's ${spelled('specversion')} is ${JSON.stringify(specversion.slice(0, 20))}; only CloudEvents 1.0 is supported, send "1.0".`);
  const id = required(input, 'id');
  const source = required(input, 'source');
  const name = required(input, 'type');
  const time = optional(input, 'time');
  const subject = optional(input, 'subject');
  const dataschema = optional(input, 'dataschema');
  const datacontenttype = optional(input, 'datacontenttype');
  const timestamp = time === undefined ? new Date().toISOString() : normaliseTimestamp(time);
  if (timestamp === undefined) throw new MalformedMessageError(topic, unparseableTime(spelled('time'), time ?? ''));
  const cloudEvent = { specversion, mode: input.mode } as Draft;
  if (time !== undefined) cloudEvent.time = time;
  if (subject !== undefined) cloudEvent.subject = subject;
  if (dataschema !== undefined) cloudEvent.dataschema = dataschema;
  if (datacontenttype !== undefined) cloudEvent.datacontenttype = datacontenttype;
  cloudEvent.extensions = input.extensions ?? extensions(topic, attributes, spelled);
  return { id, name, source, timestamp, data: input.data, cloudEvent };
}

function required(input: CloudEventInput, attribute: 'id' | 'source' | 'type'): string {
  const value = input.attributes[attribute];
  if (typeof value !== 'string' || value === '') throw missing(input.topic, input.spelled(attribute));
  return value;
}

/** An optional attribute's value; absent (or `null`) is `undefined`, anything but a string a reason. */
function optional(input: CloudEventInput, attribute: 'time' | 'subject' | 'dataschema' | 'datacontenttype'): string | undefined {
  const value = input.attributes[attribute];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new MalformedMessageError(input.topic, `the CloudEvent's ${input.spelled(attribute)} is not a string.`);
  return value;
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
  // Absent, or exactly what eventwire writes: no need to take the media type apart.
  if (contentType === undefined || contentType === 'application/json') return true;
  const media = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return media === 'application/json' || media === 'text/json' || media.endsWith('+json');
}
