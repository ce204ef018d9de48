import { parseEvent, type Event } from '../lib/envelope/event.js';
import { MalformedMessageError } from '../lib/errors/index.js';
import type { SendOptions } from '../lib/publishing/producer.js';

/**
 * One claimed outbox row, as the relay reads it (`seq` is an int8, which `pg` returns as a string).
 *
 * @example
 * const row: OutboxRow = { seq: '7', topic: 'orders', key: '42', headers: {}, payload: event };
 */
export interface OutboxRow {
  readonly seq: string;
  readonly topic: string;
  readonly key: string | null;
  readonly headers: unknown;
  readonly payload: unknown;
}

/**
 * The columns the relay selects, in the order {@link OutboxRow} names them. The output column
 * `seq` is text: a query that sorts by seq must name the table's column (`alias.seq`), since a
 * bare `ORDER BY seq` sorts by this text ("10" before "2").
 */
export const rowColumns = 'seq::text AS seq, topic, key, headers, payload';

/**
 * What the relay sends for a row.
 *
 * @example
 * await producer.send(message.topic, message.event, message.options);
 */
export interface RowMessage {
  readonly topic: string;
  readonly event: Event;
  readonly options: SendOptions;
}

/**
 * The message a row stands for: its envelope with the fields in `createEvent`'s order (jsonb
 * does not keep the order of object keys), its key and headers. A payload that is not an
 * envelope is a {@link MalformedMessageError}: the row can never be published.
 *
 * @example
 * rowMessage(row).event.id;
 */
export function rowMessage(row: OutboxRow): RowMessage {
  const parsed = parseEvent(row.topic, row.payload);
  const event: Event = { id: parsed.id, name: parsed.name, data: parsed.data, timestamp: parsed.timestamp, source: parsed.source };
  if (typeof row.headers !== 'object' || row.headers === null || Array.isArray(row.headers)) {
    throw new MalformedMessageError(row.topic, 'the row\'s headers are not a JSON object of strings.');
  }
  const options: SendOptions = row.key === null
    ? { headers: row.headers as Record<string, string> }
    : { key: row.key, headers: row.headers as Record<string, string> };
  return { topic: row.topic, event, options };
}
