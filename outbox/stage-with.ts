import { createHash } from 'node:crypto';
import type { Event } from '../lib/envelope/event.js';
import { InvalidArgumentError } from '../lib/errors/index.js';
import { describe, expectKnownKeys, expectObject, expectString } from '../lib/config/validate.js';
import type { PreparingQueryable, QueryResult } from './pool.js';
import type { TableNames } from './table-name.js';
import { migratedOr } from './not-migrated.js';
import { expectQueryable, insertText, stagedRow, type StageOptions } from './stage.js';

/** One parameterised statement of the caller's: its text, with parameters `$1` … `$n`, and their `n` values. */
export interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[];
  /**
   * Prepares the combined statement once per connection (a `pg` named statement, named after a
   * hash of its text) so that later calls skip its parsing and planning. Needs a client that
   * takes `{ name, text, values }`, as `pg`'s do, and a session that keeps prepared statements
   * (not PgBouncer's transaction pooling without its prepared-statement support). Each distinct
   * text stays prepared on every connection that ran it: use it for fixed texts. Default `false`.
   */
  readonly prepare?: boolean;
}

/** What `outbox.stageWith` resolves with: the staged event, and the result of the caller's statement. */
export interface StagedWith<T> {
  readonly event: Event<T>;
  readonly result: QueryResult;
}

/** A statement's own leading `WITH` (and `RECURSIVE`), to which the staging's CTE is added first. */
const leadingWith = /^\s*with(\s+recursive)?\s/i;
const placeholder = /\$(\d+)/g;

/**
 * Stages one event in the same statement as the caller's own `SELECT`, `INSERT`, `UPDATE` or
 * `DELETE`: the outbox insert becomes a data-modifying CTE in front of it, so the event costs no
 * round trip of its own. PostgreSQL runs such a CTE exactly once, whether or not the statement
 * reads it, and in the statement's transaction. The caller's parameters keep their numbers; the
 * staging's follow them.
 *
 * @example
 * const { result } = await stageWithStatement(names, 'shop', client,
 *   { text: 'INSERT INTO orders (id, total) VALUES ($1, $2)', values: [id, 42] },
 *   'order.placed', { id, total: 42 }, { topic: 'orders', key: id });
 */
export async function stageWithStatement<T>(
  names: TableNames,
  source: string,
  client: unknown,
  statement: Statement,
  name: string,
  data: T,
  options: StageOptions,
): Promise<StagedWith<T>> {
  const queryable = expectQueryable(client);
  const { text, values, prepare } = expectStatement(statement);
  const row = stagedRow(source, name, data, options);
  const staging = `eventwire_staged AS (${insertText(names, values.length + 1)})`;
  const own = leadingWith.exec(text);
  const combined = own === null ? `WITH ${staging} ${text}` : `WITH${own[1] ?? ''} ${staging}, ${text.slice(own[0].length)}`;
  const all = [...values, ...row.values];
  const run = prepare
    ? () => (queryable as unknown as PreparingQueryable).query({ name: preparedName(combined), text: combined, values: all })
    : () => queryable.query(combined, all);
  const result = await migratedOr(names.given, run);
  return { event: row.event, result };
}

/**
 * The name a combined statement is prepared under: derived from its whole text, so that one
 * name never stands for two texts (`pg` refuses that) and stays within PostgreSQL's 63 bytes.
 */
export function preparedName(text: string): string {
  return `eventwire_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
}

/**
 * `statement` checked: a non-empty `text` whose highest parameter is at most the number of
 * `values`, so that the staging's parameters, numbered after them, cannot collide.
 */
function expectStatement(statement: unknown): { text: string; values: readonly unknown[]; prepare: boolean } {
  const given = expectObject('statement', statement);
  expectKnownKeys('statement', given, ['text', 'values', 'prepare']);
  const prepare = given.prepare ?? false;
  if (typeof prepare !== 'boolean') {
    throw new InvalidArgumentError('statement.prepare', `Expected \`statement.prepare\` to be a boolean (true prepares the combined statement), got ${describe(prepare)}.`);
  }
  const text = expectString('statement.text', given.text);
  const values = given.values ?? [];
  if (!Array.isArray(values)) {
    throw new InvalidArgumentError('statement.values', 'Expected `statement.values` to be an array of the values of $1, $2, …, or to be left out.');
  }
  let highest = 0;
  for (const match of text.matchAll(placeholder)) highest = Math.max(highest, Number(match[1]));
  if (highest > values.length) {
    throw new InvalidArgumentError(
      'statement.values',
      `Expected \`statement.values\` to hold a value for each parameter of \`statement.text\`: it uses $${highest}, but ${values.length} value(s) were given.`,
    );
  }
  return { text, values, prepare };
}
