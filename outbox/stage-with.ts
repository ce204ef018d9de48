import type { Event } from '../lib/envelope/event.js';
import { InvalidArgumentError } from '../lib/errors/index.js';
import { describe, expectKnownKeys, expectObject, expectString } from '../lib/config/validate.js';
import type { PreparingQueryable, QueryResult } from './pool.js';
import { notMigrated } from './not-migrated.js';
import { expectQueryable, stagedRow, type StageOptions } from './stage.js';
import type { CombinedStatement, CombinedStatements } from './combined-statements.js';

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

/**
 * Stages one event in the same statement as the caller's own `SELECT`, `INSERT`, `UPDATE` or
 * `DELETE`: the outbox insert becomes a data-modifying CTE in front of it, so the event costs no
 * round trip of its own. PostgreSQL runs such a CTE exactly once, whether or not the statement
 * reads it, and in the statement's transaction. The caller's parameters keep their numbers; the
 * staging's follow them.
 *
 * @example
 * const { result } = await stageWithStatement(new CombinedStatements(names), 'shop', client,
 *   { text: 'INSERT INTO orders (id, total) VALUES ($1, $2)', values: [id, 42] },
 *   'order.placed', { id, total: 42 }, { topic: 'orders', key: id });
 */
export async function stageWithStatement<T>(
  statements: CombinedStatements,
  source: string,
  client: unknown,
  statement: Statement,
  name: string,
  data: T,
  options: StageOptions,
): Promise<StagedWith<T>> {
  const queryable = expectQueryable(client);
  const { text, values, prepare } = expectStatement(statement);
  const combined = statements.of(text, values.length);
  if (combined.highest > values.length) {
    throw new InvalidArgumentError(
      'statement.values',
      `Expected \`statement.values\` to hold a value for each parameter of \`statement.text\`: it uses $${combined.highest}, but ${values.length} value(s) were given.`,
    );
  }
  const row = stagedRow(source, name, data, options);
  const all = [...values, ...row.values];
  const run = prepare
    ? () => (queryable as unknown as PreparingQueryable).query({ name: combined.name, text: combined.text, values: all })
    : () => queryable.query(combined.text, all);
  try {
    return { event: row.event, result: await run() };
  } catch (error) {
    // An undefined table in the caller's own part of the statement is the caller's to see.
    throw outsideStaging(error, combined) ? error : notMigrated(error, statements.names.given);
  }
}

/** Whether PostgreSQL placed `error` (by its `position`) in the caller's text rather than in the staging's CTE. */
function outsideStaging(error: unknown, combined: CombinedStatement): boolean {
  const position = Number((error as { position?: unknown } | null)?.position);
  return Number.isInteger(position) && position > 0 && (position < combined.staging.from || position > combined.staging.to);
}

/**
 * `statement`'s shape checked: a non-empty `text`, `values` an array or left out, `prepare` a
 * boolean or left out. Whether `text`'s parameters fit `values` is checked on its combined form.
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
  return { text, values, prepare };
}
