import { createHash } from 'node:crypto';
import { insertText } from './stage.js';
import type { TableNames } from './table-name.js';

/** A caller's statement with the staging's CTE in front of it, as `stageWith()` sends it. */
export interface CombinedStatement {
  readonly text: string;
  /** The name it is prepared under with `prepare: true`. */
  readonly name: string;
  /** The highest parameter (`$n`) the caller's own text uses; 0 for none. */
  readonly highest: number;
  /** How many values of the caller's the staging's parameters are numbered after. */
  readonly valueCount: number;
  /** Where the staging's CTE stands in `text`, as PostgreSQL counts an error's `position` (from 1, end included). */
  readonly staging: { readonly from: number; readonly to: number };
}

/** A statement's own leading `WITH` (and `RECURSIVE`), to which the staging's CTE is added first. */
const leadingWith = /^\s*with(\s+recursive)?\s/i;
const placeholder = /\$(\d+)/g;
/** Texts kept per outbox: a route's statements are few and fixed; texts past this are built each time. */
const keptTexts = 256;

/**
 * The combined statements of one outbox table, built once per caller text and kept: a hot route
 * sends the same text every time, and building it (scanning its parameters, hashing it for the
 * prepared name) would otherwise run on every staging, between the route's round trips.
 *
 * @example
 * const combined = new CombinedStatements(names).of('INSERT INTO orders (id) VALUES ($1)', 1);
 */
export class CombinedStatements {
  readonly names: TableNames;
  readonly #kept = new Map<string, CombinedStatement>();

  constructor(names: TableNames) {
    this.names = names;
  }

  /** `text` combined with the staging, whose parameters follow the caller's `valueCount` values. */
  of(text: string, valueCount: number): CombinedStatement {
    const kept = this.#kept.get(text);
    if (kept !== undefined && kept.valueCount === valueCount) return kept;
    const combined = combine(this.names, text, valueCount);
    if (this.#kept.size < keptTexts) this.#kept.set(text, combined);
    return combined;
  }
}

function combine(names: TableNames, text: string, valueCount: number): CombinedStatement {
  const staging = `eventwire_staged AS (${insertText(names, valueCount + 1)})`;
  const own = leadingWith.exec(text);
  const head = own === null ? 'WITH ' : `WITH${own[1] ?? ''} `;
  const combined = own === null ? `${head}${staging} ${text}` : `${head}${staging}, ${text.slice(own[0].length)}`;
  let highest = 0;
  for (const match of text.matchAll(placeholder)) highest = Math.max(highest, Number(match[1]));
  return { text: combined, name: preparedName(combined), highest, valueCount, staging: { from: head.length + 1, to: head.length + staging.length } };
}

/**
 * The name a combined statement is prepared under: derived from its whole text, so that one
 * name never stands for two texts (`pg` refuses that) and stays within PostgreSQL's 63 bytes.
 *
 * @example
 * preparedName('WITH eventwire_staged AS (…) INSERT INTO orders …'); // 'eventwire_…'
 */
export function preparedName(text: string): string {
  return `eventwire_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`;
}
