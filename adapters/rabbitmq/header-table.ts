import type { Headers } from '../../lib/broker.js';

/** The key travels in this header; RabbitMQ's routing key carries the topic. */
export const KEY_HEADER = 'eventwire-key';

/**
 * The headers table handed to amqplib for a message: the message's headers with its key in
 * `eventwire-key` (replacing a header of that name where it stands, else last), in the order
 * amqplib would have read them. The table object is reused while the header names stay the
 * same, only their values written anew.
 *
 * Why: amqplib's publish makes the table it is given the prototype of its own object
 * (`Object.create(headers)`) and enumerates that. An object that becomes a prototype for the first
 * time costs V8 a new hidden class, and enumerating its child takes the slow path; a table that
 * served as a prototype before, whose names are unchanged, takes neither cost.
 *
 * Contract: the table is valid only until the next {@link HeaderTable.of}, so it may be handed
 * only to a publish that encodes the headers before returning and keeps no reference to them:
 * amqplib's own `publish`, not one an instrumentation wrapped (it may keep or add to them).
 *
 * @example
 * channel.publish(exchange, topic, body, { ...properties, headers: table.of(message.headers, message.key) }, confirmed);
 */
export class HeaderTable {
  #table: Record<string, string> | undefined;
  /** The names of `#table`, in order. */
  #names: string[] = [];
  /** The last empty headers object seen: the core hands every message without headers the same one. */
  #empty: Headers | undefined;

  /**
   * The table of `headers` and `key`: the reused one when the names match it, else a new one
   * that is kept. Empty headers without a key go as they are (the core shares one frozen object).
   */
  of(headers: Headers, key: string | undefined): Headers {
    if (key === undefined && (headers === this.#empty || isEmpty(headers))) return (this.#empty = headers);
    const table = this.#table;
    if (table !== undefined && this.#refill(table, headers, key)) return table;
    const fresh = headersTable(headers, key);
    this.#table = fresh;
    this.#names = Object.keys(fresh);
    return fresh;
  }

  /** Writes the values of `headers` and `key` into `table`; false when their names differ from its names. */
  #refill(table: Record<string, string>, headers: Headers, key: string | undefined): boolean {
    const names = this.#names;
    let count = 0;
    let keyPlaced = key === undefined;
    for (const name in headers) {
      // With a key, amqplib used to get a spread copy: the own headers only.
      if (key !== undefined && !Object.hasOwn(headers, name)) continue;
      if (names[count] !== name) return false;
      if (key !== undefined && name === KEY_HEADER) {
        keyPlaced = true;
        table[name] = key;
      } else table[name] = headers[name] as string;
      count += 1;
    }
    if (!keyPlaced) {
      if (names[count] !== KEY_HEADER) return false;
      table[KEY_HEADER] = key as string;
      count += 1;
    }
    return count === names.length && count > 0;
  }
}

/**
 * The headers table of a message as a new object: `headers` with `key` in `eventwire-key`.
 * Without a key, the headers amqplib would read, inherited enumerable ones included; with one,
 * the own ones, as the spread copy it used to get has them.
 *
 * @example
 * headersTable({ tenant: 'acme' }, '42'); // { tenant: 'acme', 'eventwire-key': '42' }
 */
function headersTable(headers: Headers, key: string | undefined): Record<string, string> {
  if (key !== undefined) return { ...headers, [KEY_HEADER]: key };
  const table: Record<string, string> = {};
  for (const name in headers) table[name] = headers[name] as string;
  return table;
}

/** Whether `headers` has no enumerable header, own or inherited (stops at the first). */
function isEmpty(headers: Headers): boolean {
  for (const name in headers) if (typeof name === 'string') return false;
  return true;
}
