import { createEvent, type Event } from '../lib/envelope/event.js';
import { expectEventData } from '../lib/envelope/json-codec.js';
import { InvalidArgumentError, SerializationError } from '../lib/errors/index.js';
import { eventIdHeader, eventNameHeader } from '../lib/messaging.js';
import { checkHeaders, checkKey } from '../lib/publishing/producer.js';
import { describe, expectKnownKeys, expectObject, expectString, expectTopic } from '../lib/config/validate.js';
import type { Queryable } from './pool.js';
import type { TableNames } from './table-name.js';
import { migratedOr } from './not-migrated.js';
import { traceCreationGlobally } from '../lib/telemetry/create-spans.js';

/**
 * Options of `outbox.stage`: where and how the relay will publish the event.
 *
 * @example
 * await outbox.stage(client, 'order.placed', order, { topic: 'orders', key: order.id });
 */
export interface StageOptions {
  readonly topic: string;
  /** Ordering key: the relay publishes the events of one key in the order they were staged. */
  readonly key?: string | number;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A JSON escape of U+0000 (an odd run of backslashes before `u0000`): jsonb refuses the character. */
const nulEscape = /(?:^|[^\\])(?:\\\\)*\\u0000/;

/**
 * Inserts one event into the outbox table through `client`, inside whatever transaction the
 * caller opened on it: the event exists once that transaction commits, and never if it rolls
 * back. The stored envelope and headers are the ones `publishEvent` would send. A missing table
 * rejects with OutboxNotMigratedError (the caller's transaction is then aborted).
 *
 * @example
 * const event = await stageEvent(names, 'billing', client, 'order.placed', { id: 1 }, { topic: 'orders' });
 */
export async function stageEvent<T>(names: TableNames, source: string, client: unknown, name: string, data: T, options: StageOptions): Promise<Event<T>> {
  const queryable = expectQueryable(client);
  const row = stagedRow(source, name, data, options);
  await migratedOr(names.given, () => queryable.query(insertText(names, 1), [...row.values]));
  return row.event;
}

/** An event ready to insert: the envelope and the values of {@link insertText}'s parameters, in order. */
export interface StagedRow<T> {
  readonly event: Event<T>;
  readonly values: readonly unknown[];
}

/**
 * Checks `stage()`'s arguments and builds the row that stages the event: its envelope, headers
 * (with the stager's trace context when an OpenTelemetry SDK is registered) and the values of
 * the insert's seven parameters. Throws InvalidArgumentError or SerializationError on bad input.
 *
 * @example
 * const { event, values } = stagedRow('billing', 'order.placed', { id: 1 }, { topic: 'orders' });
 */
export function stagedRow<T>(source: string, name: string, data: T, options: StageOptions): StagedRow<T> {
  expectString('name', name);
  const given = expectObject('stage options', options);
  expectKnownKeys('stage options', given, ['topic', 'key', 'headers']);
  if (given.topic === undefined) throw new InvalidArgumentError('topic', `Event "${name}" has no topic: pass { topic } to stage().`);
  const topic = expectTopic('topic', given.topic);
  const key = checkKey(given.key);
  const headers = given.headers === undefined || given.headers === null ? {} : checkHeaders(given.headers);
  expectEventData(topic, name, data);
  const event = createEvent(name, data, source);
  headers[eventNameHeader] = name;
  headers[eventIdHeader] = event.id;
  const payload = jsonText(topic, event);
  const headerText = JSON.stringify(traceCreationGlobally({ topic, name, id: event.id }, headers));
  checkStorable(payload, headerText);
  return { event, values: [event.id, topic, key ?? event.id, name, payload, key ?? null, headerText] };
}

/**
 * The INSERT that stages one row, its seven parameters numbered from `$first`.
 *
 * @example
 * insertText(names, 1); // INSERT INTO "eventwire_outbox" (...) VALUES ($1, $2, ...)
 */
export function insertText(names: TableNames, first: number): string {
  const p = (index: number): string => `$${first + index}`;
  return (
    `INSERT INTO ${names.table} (id, aggregatetype, aggregateid, type, payload, topic, key, headers) ` +
    `VALUES (${p(0)}, ${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}::jsonb, ${p(1)}, ${p(5)}, ${p(6)}::jsonb)`
  );
}

/**
 * Throws InvalidArgumentError (naming `data` or `headers`) when the JSON text holds a NUL
 * character, which PostgreSQL's jsonb cannot store.
 *
 * @example
 * checkStorable(JSON.stringify(event), JSON.stringify(headers));
 */
export function checkStorable(payload: string, headerText: string): void {
  // The plain search first: the escape's text is rare, and the pattern that tells it from an escaped backslash is slower.
  if (payload.includes('\\u0000') && nulEscape.test(payload)) throw nulError('data', 'the event');
  if (headerText.includes('\\u0000') && nulEscape.test(headerText)) throw nulError('headers', 'a header');
}

/**
 * `client` as a {@link Queryable}, or an InvalidArgumentError naming `client`.
 *
 * @example
 * const queryable = expectQueryable(client);
 */
export function expectQueryable(client: unknown): Queryable {
  if (typeof client !== 'object' || client === null || typeof (client as Partial<Queryable>).query !== 'function') {
    throw new InvalidArgumentError(
      'client',
      `Expected \`client\` to be the transaction's database client (a pg Client or PoolClient, or any object with query(text, values)), got ${describe(client)}.`,
    );
  }
  return client as Queryable;
}

function jsonText(topic: string, event: Event): string {
  try {
    return JSON.stringify(event);
  } catch (error) {
    throw new SerializationError(topic, { cause: error });
  }
}

function nulError(option: string, what: string): InvalidArgumentError {
  return new InvalidArgumentError(
    option,
    `Expected \`${option}\` to hold no NUL character (\\u0000): PostgreSQL's jsonb cannot store ${what} with one. Remove it, or encode the value (base64).`,
  );
}
