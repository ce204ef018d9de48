import { isUtf8 } from 'node:buffer';
import type { Headers, IncomingMessage, OutgoingMessage, TransportRecord } from '../../lib/broker.js';

/** A stream entry as XREADGROUP, XCLAIM and XAUTOCLAIM return it; fields are null once trimmed away. */
export type RawEntry = [id: Buffer, fields: Buffer[] | null];

/** An entry read and not yet held, its fields present (not trimmed): the id and fields {@link decode} takes. */
export interface FreshEntry {
  readonly id: string;
  readonly fields: Buffer[];
}

/** A stream entry as it was read: every field name and value as bytes, in order (name, value, name, value…). */
interface RedisRecord extends TransportRecord {
  readonly transport: 'redis';
  readonly fields: readonly Buffer[];
}

function isRedisRecord(record: TransportRecord | undefined): record is RedisRecord {
  return record?.transport === 'redis';
}

/**
 * Where an entry written again keeps its `headers` field's bytes when eventwire could not read
 * them whole (not valid UTF-8 JSON, not an object, values that are not strings): its own
 * `headers` field then holds what eventwire read of them and the headers it adds.
 */
const originalHeadersField = 'eventwire-original-headers';

/**
 * The fields of the stream entry for a message: `value` (the payload bytes), `key` (only when
 * set) and `headers` (a JSON object of strings, only when not empty). A message that writes an
 * entry again (a dead letter) takes every field of that entry with its bytes, in order, and sets
 * the headers it adds or changes in the entry's `headers` field.
 *
 * @example
 * await redis.xadd(topic, '*', ...encode(message));
 */
export function encode(message: OutgoingMessage): (string | Buffer)[] {
  if (isRedisRecord(message.record)) return rewrite(message.record, message.headers);
  const fields: (string | Buffer)[] = ['value', message.value];
  if (message.key !== undefined) fields.push('key', message.key);
  if (Object.keys(message.headers).length > 0) fields.push('headers', JSON.stringify(message.headers));
  return fields;
}

/**
 * The fields of `record` as they were read, with each of `headers` that eventwire's reading of
 * them lacks or holds with another text set in the `headers` field: in place, merged into the
 * object it held, or appended when there was none. A `headers` field eventwire could not read
 * whole keeps its bytes under {@link originalHeadersField}, appended after the others.
 */
function rewrite(record: RedisRecord, headers: Headers): (string | Buffer)[] {
  const { fields } = record;
  const read = readFields(fields).headers;
  const changed = Object.entries(headers).filter(([name, text]) => read[name] !== text);
  if (changed.length === 0) return [...fields];
  const at = lastFieldIndex(fields, 'headers');
  const original = at === -1 ? undefined : fields[at + 1];
  const parsed = original === undefined ? undefined : parseHeaders(original);
  const merged = JSON.stringify({ ...parsed?.headers, ...Object.fromEntries(changed) });
  const written: (string | Buffer)[] = [...fields];
  if (at === -1) written.push('headers', merged);
  else written[at + 1] = merged;
  // Only a field eventwire read whole is merged without keeping its bytes: anything else it read
  // of the field (or could not) would otherwise be lost.
  if (original !== undefined && (parsed?.warning !== undefined || !isUtf8(original))) written.push(originalHeadersField, original);
  return written;
}

/** The index of the last field called `name` (the one eventwire reads), or -1. */
function lastFieldIndex(fields: readonly Buffer[], name: string): number {
  let found = -1;
  for (let index = 0; index + 1 < fields.length; index += 2) if (String(fields[index]) === name) found = index;
  return found;
}

/**
 * The core's message for the fields of a stream entry. Any field other than `value`, `key` and
 * `headers` (a CloudEvent's `ce_*` attributes, a `content-type`) joins the headers as UTF-8,
 * unless the `headers` field names it too. The transport id is `<stream>/<entry id>`; the
 * entry's fields as read travel along, for writing them again unchanged. An entry without
 * `value` is marked malformed (the core dead-letters it, every field kept); a `headers` field
 * that is not a JSON object of strings is left out, in part or whole, with a warning the core
 * logs and counts.
 *
 * @example
 * const message = decode('orders', '1700000000000-0', fields, 1);
 */
export function decode(topic: string, id: string, fields: Buffer[], deliveryCount: number): IncomingMessage {
  const { value, key, headers, warnings } = readFields(fields);
  const record: RedisRecord = { transport: 'redis', fields };
  const message: IncomingMessage = { topic, id, transportId: `${topic}/${id}`, key, headers, value: value ?? Buffer.alloc(0), deliveryCount, warnings, record };
  if (value !== undefined) return message;
  const names = fields.filter((_, index) => index % 2 === 0).map(String);
  return { ...message, malformed: `the stream entry ${id} has no \`value\` field (its fields: ${names.join(', ') || 'none'}); eventwire reads the payload from \`value\`.` };
}

/** What eventwire reads of an entry's fields: the payload, the key, the headers and what it left out of them. */
interface ReadFields {
  readonly value: Buffer | undefined;
  readonly key: string | undefined;
  readonly headers: Headers;
  readonly warnings: string[] | undefined;
}

function readFields(fields: readonly Buffer[]): ReadFields {
  let value: Buffer | undefined;
  let key: string | undefined;
  let headers: Headers = {};
  let extra: Record<string, string> | undefined;
  let warnings: string[] | undefined;
  for (let index = 0; index + 1 < fields.length; index += 2) {
    const name = String(fields[index]);
    const data = fields[index + 1] as Buffer;
    if (name === 'value') value = data;
    else if (name === 'key') key = data.toString('utf8');
    else if (name === 'headers') {
      const parsed = parseHeaders(data);
      headers = parsed.headers;
      if (parsed.warning !== undefined) (warnings ??= []).push(parsed.warning);
    } else (extra ??= {})[name] = data.toString('utf8');
  }
  if (extra !== undefined) headers = Object.freeze({ ...extra, ...headers });
  return { value, key, headers, warnings };
}

/** The `headers` field's strings, and what was left out of it, if anything. */
function parseHeaders(data: Buffer): { readonly headers: Headers; readonly warning?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8'));
  } catch {
    return { headers: {}, warning: 'the entry\'s `headers` field is not valid JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { headers: {}, warning: 'the entry\'s `headers` field is not a JSON object' };
  const entries = Object.entries(parsed);
  const strings = entries.filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  const headers = Object.freeze(Object.fromEntries(strings));
  if (strings.length === entries.length) return { headers };
  const dropped = entries.filter((entry) => typeof entry[1] !== 'string').map(([name]) => name);
  return { headers, warning: `the entry's \`headers\` field has values that are not strings: ${dropped.join(', ')}` };
}

/**
 * The first error of a pipeline's replies that `counts`, or one for a pipeline Redis discarded.
 *
 * @example
 * const failure = firstError(await pipeline.exec()); if (failure !== undefined) throw failure;
 */
export function firstError(replies: [Error | null, unknown][] | null, counts: (error: Error) => boolean = () => true): Error | undefined {
  if (replies === null) return new Error('Redis discarded the pipeline');
  return replies.map(([error]) => error).find((error): error is Error => error !== null && counts(error));
}
