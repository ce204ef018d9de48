import type { Headers, IncomingMessage, OutgoingMessage } from '../../lib/broker.js';

/** A stream entry as XREADGROUP, XCLAIM and XAUTOCLAIM return it; fields are null once trimmed away. */
export type RawEntry = [id: Buffer, fields: Buffer[] | null];

/**
 * The fields of the stream entry for a message: `value` (the payload bytes), `key` (only when
 * set) and `headers` (a JSON object of strings, only when not empty).
 *
 * @example
 * await redis.xadd(topic, '*', ...encode(message));
 */
export function encode(message: OutgoingMessage): (string | Buffer)[] {
  const fields: (string | Buffer)[] = ['value', message.value];
  if (message.key !== undefined) fields.push('key', message.key);
  if (Object.keys(message.headers).length > 0) fields.push('headers', JSON.stringify(message.headers));
  return fields;
}

/**
 * The core's message for the fields of a stream entry. Any field other than `value`, `key` and
 * `headers` (a CloudEvent's `ce_*` attributes, a `content-type`) joins the headers as UTF-8,
 * unless the `headers` field names it too. The transport id is `<stream>/<entry id>`. An entry
 * without `value` is marked malformed (the core dead-letters it, its other fields kept as
 * headers); a `headers` field that is not a JSON object of strings is left out, in part or whole,
 * with a warning the core logs and counts.
 *
 * @example
 * const message = decode('orders', '1700000000000-0', fields, 1);
 */
export function decode(topic: string, id: string, fields: Buffer[], deliveryCount: number): IncomingMessage {
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
  const message: IncomingMessage = { topic, id, transportId: `${topic}/${id}`, key, headers, value: value ?? Buffer.alloc(0), deliveryCount, warnings };
  if (value !== undefined) return message;
  const names = fields.filter((_, index) => index % 2 === 0).map(String);
  return { ...message, malformed: `the stream entry ${id} has no \`value\` field (its fields: ${names.join(', ') || 'none'}); eventwire reads the payload from \`value\`.` };
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
