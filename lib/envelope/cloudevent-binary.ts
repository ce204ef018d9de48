import type { Headers, IncomingMessage } from '../broker.js';
import { isJsonContentType, NON_EXTENSIONS, toEvent, type CloudEventInput } from './cloudevent.js';
import type { Event } from './event.js';
import { MalformedMessageError } from '../errors/index.js';

/**
 * The header names one binding gives a binary-mode CloudEvent's attributes, and how a dead
 * letter's reason spells each one; built once per prefix, so that reading a message looks every
 * attribute up by a name made in advance instead of cutting the prefix off every header.
 */
export interface BinaryBinding {
  readonly prefix: string;
  readonly specversion: string;
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly subject: string;
  readonly dataschema: string;
  readonly datacontenttype: string;
  /** The headers that carry an attribute which is not an extension (`<prefix>id`, `<prefix>data`, …). */
  readonly attributeHeaders: ReadonlySet<string>;
  /** The reason's spelling of an attribute when the data content type comes from the `<prefix>datacontenttype` header. */
  readonly spelled: CloudEventInput['spelled'];
  /** The same when it comes from the content type (`content-type` header or AMQP property). */
  readonly spelledWithContentType: CloudEventInput['spelled'];
}

function bindingOf(prefix: string): BinaryBinding {
  const header = (attribute: string): string => `\`${prefix}${attribute}\` header`;
  return {
    prefix,
    specversion: `${prefix}specversion`,
    id: `${prefix}id`,
    source: `${prefix}source`,
    type: `${prefix}type`,
    time: `${prefix}time`,
    subject: `${prefix}subject`,
    dataschema: `${prefix}dataschema`,
    datacontenttype: `${prefix}datacontenttype`,
    attributeHeaders: new Set(NON_EXTENSIONS.map((attribute) => prefix + attribute)),
    spelled: header,
    spelledWithContentType: (attribute) => (attribute === 'datacontenttype' ? '`content-type`' : header(attribute)),
  };
}

/**
 * The bindings of CloudEvents' binary content mode, by header prefix: `ce_` (Kafka binding;
 * eventwire uses it on Redis too), `cloudEvents:` and `cloudEvents_` (AMQP binding, as
 * application properties, which RabbitMQ carries as headers). Any of them is read on any broker;
 * a `<prefix>specversion` header marks a message as one.
 */
const BINDINGS = [bindingOf('ce_'), bindingOf('cloudEvents:'), bindingOf('cloudEvents_')] as const;

/**
 * The binding of the binary-mode CloudEvent `headers` carry, or `undefined` when they carry none
 * (no `<prefix>specversion` header).
 *
 * @example
 * binaryBinding({ ce_specversion: '1.0', ce_type: 'user.created' })?.prefix; // 'ce_'
 */
export function binaryBinding(headers: Headers): BinaryBinding | undefined {
  for (let index = 0; index < BINDINGS.length; index += 1) {
    const binding = BINDINGS[index] as BinaryBinding;
    if (headers[binding.specversion] !== undefined) return binding;
  }
  return undefined;
}

/**
 * Reads a binary-mode CloudEvent: attributes from the headers of `binding`, the data content
 * type from `contentType` (the `content-type` header or the AMQP property) else the
 * `<prefix>datacontenttype` header, every other prefixed header as an extension, the body as
 * data — parsed as JSON for a JSON content type, a UTF-8 string for `text/*`, else the bytes; an
 * empty body is no data (`undefined`).
 *
 * @example
 * const binding = binaryBinding(message.headers);
 * if (binding !== undefined) return decodeBinaryCloudEvent(message, binding, message.headers['content-type']);
 */
export function decodeBinaryCloudEvent(message: IncomingMessage, binding: BinaryBinding, contentType: string | undefined): Event {
  const headers = message.headers;
  const datacontenttype = contentType ?? headers[binding.datacontenttype];
  const attributes = {
    specversion: headers[binding.specversion],
    id: headers[binding.id],
    source: headers[binding.source],
    type: headers[binding.type],
    time: headers[binding.time],
    subject: headers[binding.subject],
    dataschema: headers[binding.dataschema],
    datacontenttype,
  };
  const spelled = contentType === undefined ? binding.spelled : binding.spelledWithContentType;
  const data = binaryData(message, datacontenttype);
  return toEvent({ topic: message.topic, mode: 'binary', attributes, spelled, data, extensions: extensionHeaders(headers, binding) });
}

/** Every header with the binding's prefix that names no attribute of the specification, by its name without the prefix. */
function extensionHeaders(headers: Headers, binding: BinaryBinding): Record<string, string> {
  const { prefix, attributeHeaders } = binding;
  const found: Record<string, string> = {};
  for (const name in headers) {
    if (name.startsWith(prefix) && !attributeHeaders.has(name)) found[name.slice(prefix.length)] = headers[name] as string;
  }
  return found;
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
