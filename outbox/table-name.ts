import { InvalidArgumentError } from '../lib/errors/index.js';
import { describe } from '../lib/config/validate.js';

/** The default outbox table: unqualified, so it lands in the first schema of the search path. */
export const defaultTable = 'eventwire_outbox';

/** One part of a table name: lower-case, so that quoted and unquoted spellings mean the same table. */
const part = /^[a-z_][a-z0-9_]*$/;
/** Longest name part: PostgreSQL keeps 63 bytes, and the derived names add up to 8 characters. */
const longestName = 55;

/**
 * Every database object one outbox uses, derived from its table name, each quoted for SQL.
 *
 * @example
 * tableNames('app.outbox').failed; // '"app"."outbox_failed"'
 */
export interface TableNames {
  /** As the user wrote it, for messages. */
  readonly given: string;
  /** The schema when the name was qualified. */
  readonly schema: string | undefined;
  readonly table: string;
  /** Where rows that can never be published are moved, with the reason. */
  readonly failed: string;
  /** The PostgreSQL inbox: one row per (consumer group, event id) handled. */
  readonly inbox: string;
  /** Unqualified: the inbox's index on `handled_at`, which pruning reads. */
  readonly inboxIndex: string;
  /** The LISTEN/NOTIFY channel its insert trigger notifies: the name as written. */
  readonly channel: string;
  readonly notifyFunction: string;
  /** Unqualified: a trigger and an index live in their table's schema. */
  readonly trigger: string;
  readonly keyIndex: string;
}

/**
 * Checks a table name (`outbox` or `schema.outbox`: lower-case letters, digits and `_`) and
 * derives the names of the objects beside it.
 *
 * @example
 * tableNames('eventwire_outbox');
 */
export function tableNames(value: unknown): TableNames {
  const parts = typeof value === 'string' ? value.split('.') : [];
  const name = parts.at(-1) ?? '';
  if (typeof value !== 'string' || parts.length > 2 || !parts.every((p) => part.test(p) && p.length <= 63) || name.length > longestName || value.length > 63) {
    throw new InvalidArgumentError(
      'table',
      `Expected \`table\` to be a table name such as "eventwire_outbox" or "app.outbox" (lower-case letters, digits and "_", ` +
        `the table part at most ${longestName} characters, the whole at most 63), got ${describe(value)}.`,
    );
  }
  const schema = parts.length === 2 ? parts[0] : undefined;
  const qualify = (object: string): string => (schema === undefined ? quote(object) : `${quote(schema)}.${quote(object)}`);
  return {
    given: value,
    schema,
    table: qualify(name),
    failed: qualify(`${name}_failed`),
    inbox: qualify(`${name}_inbox`),
    inboxIndex: quote(`${name}_handled`),
    channel: value,
    notifyFunction: qualify(`${name}_notify`),
    trigger: quote(`${name}_notify`),
    keyIndex: quote(`${name}_key_seq`),
  };
}

/**
 * Quotes an identifier for SQL. The names here are checked first; quoting still keeps a table
 * called `order` or `user` valid.
 *
 * @example
 * quote('order'); // '"order"'
 */
export function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
