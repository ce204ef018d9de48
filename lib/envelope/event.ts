import { randomUUID } from 'node:crypto';
import { MalformedMessageError } from '../errors/index.js';
import { normaliseTimestamp } from './event-time.js';

/** Header naming the event, so routers need not parse the payload. */
export const eventNameHeader = 'eventwire-event';
/** Header carrying the event's id, for consumers; brokers take it from `OutgoingMessage.id`. */
export const eventIdHeader = 'eventwire-id';

/**
 * The event envelope on the wire: the seed's four fields plus a unique `id` for de-duplication
 * and tracing. `timestamp` is ISO-8601 UTC. A consumed event has the same shape whichever
 * envelope carried it (docs/wire-format.md): the Python original's four fields get their `id`
 * from the transport, a CloudEvent's `type` is the `name` and its `time` the `timestamp`, and the
 * consumed `timestamp` is always `YYYY-MM-DDTHH:mm:ss.sssZ`.
 *
 * @example
 * const event: Event<{ id: number }> = { id: '…', name: 'user.created', data: { id: 1 }, timestamp: '2026-02-01T12:00:00.000Z', source: 'user-service' };
 */
export interface Event<T = unknown> {
  readonly id: string;
  readonly name: string;
  readonly data: T;
  readonly timestamp: string;
  readonly source: string;
  /** Present only on a consumed CloudEvent: the attributes that have no field of their own above. */
  readonly cloudEvent?: CloudEventAttributes;
}

/** What names an event: its id and name (telemetry reports them, whatever the envelope). */
export type EventIdentity = Pick<Event, 'id' | 'name'>;

/**
 * A consumed CloudEvent's attributes beyond `id`, `source`, `type` (→ `name`) and `time`
 * (→ `timestamp`), as the producer wrote them.
 *
 * @example
 * if (event.cloudEvent?.subject !== undefined) await archive(event.cloudEvent.subject);
 */
export interface CloudEventAttributes {
  readonly specversion: string;
  /** `binary`: attributes in headers, data in the body; `structured`: one JSON document. */
  readonly mode: 'binary' | 'structured';
  /** `time` exactly as sent; absent when the producer sent none (`timestamp` is then the receipt time). */
  readonly time?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  readonly subject?: string;
  /** Every other attribute (`partitionkey`, `traceparent`, your own), by its name without prefix. */
  readonly extensions: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Builds a new envelope stamped now.
 *
 * @example
 * createEvent('user.created', { id: 1 }, 'user-service');
 */
export function createEvent<T>(name: string, data: T, source: string): Event<T> {
  return { id: randomUUID(), name, data, timestamp: isoNow(), source };
}

/** The millisecond whose ISO string `stamp` holds: events of one millisecond share the string. */
let stampMs = Number.NaN;
let stamp = '';

/** `new Date().toISOString()`, formatted once per millisecond (formatting was a fifth of an event's cost). */
function isoNow(): string {
  const now = Date.now();
  if (now !== stampMs) {
    stampMs = now;
    stamp = new Date(now).toISOString();
  }
  return stamp;
}

/**
 * Checks that a decoded payload is an eventwire envelope, or the Python original's (no `id`: it
 * takes `fallbackId`), and normalises its `timestamp`. Anything else is a
 * {@link MalformedMessageError} (dead-lettered at once, never retried).
 *
 * @example
 * parseEvent('user-events', JSON.parse(text), 'user-events/0/42');
 */
export function parseEvent(topic: string, payload: unknown, fallbackId?: string): Event {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new MalformedMessageError(topic, 'expected an event object { id, name, data, timestamp, source } (`id` optional).');
  }
  const candidate = payload as Record<string, unknown>;
  for (const field of ['name', 'timestamp', 'source'] as const) {
    if (typeof candidate[field] !== 'string') {
      throw new MalformedMessageError(topic, `the event's \`${field}\` is missing or not a string.`);
    }
  }
  if (!('data' in candidate)) throw new MalformedMessageError(topic, "the event's `data` is missing.");
  const id = candidate.id === undefined ? fallbackId : candidate.id;
  if (typeof id !== 'string') throw new MalformedMessageError(topic, "the event's `id` is missing or not a string.");
  const sent = candidate.timestamp as string;
  const timestamp = normaliseTimestamp(sent);
  if (timestamp === undefined) throw new MalformedMessageError(topic, unparseableTime('`timestamp`', sent));
  if (id === candidate.id && timestamp === sent) return payload as Event;
  return { id, name: candidate.name as string, data: candidate.data, timestamp, source: candidate.source as string };
}

/**
 * The reason for a dead letter whose time cannot be read; quotes at most 40 characters of it.
 *
 * @example
 * unparseableTime('`timestamp`', 'yesterday');
 */
export function unparseableTime(field: string, sent: string): string {
  return `the event's ${field} ${JSON.stringify(sent.slice(0, 40))} is not an ISO-8601 date-time; send one such as 2026-02-01T12:00:00.000Z (no zone means UTC).`;
}
