/**
 * The form of each generated section of docs/ (written by the fault runner and the bench from their
 * results files), checked from the committed text alone: a fresh clone has no results file, and
 * still every section must say which run and which commit its figures come from.
 */

/**
 * Results files name the commit they measured from this day on (scripts/git-commit.ts); a section
 * of a run before it may say "commit not recorded", any later one must name its commit.
 */
export const commitsRecordedSince = '2026-12-06';

const when = '(?<when>\\d{4}-\\d\\d-\\d\\d(?: \\d\\d:\\d\\d)?)';
const commit = 'commit (?<commit>[0-9a-f]{12}(?:-dirty)?|not recorded)';
const mode = '(?:quick|full)';

interface Shape {
  /** The first line: names the run (when) and the commit it measured. */
  readonly heading: RegExp;
  /** For a section with a table: its header row, and the pattern every row matches. */
  readonly table?: { readonly header: string; readonly row: RegExp };
  /** The heading is the whole section. */
  readonly oneLine?: boolean;
}

const shapes: Readonly<Record<string, Shape>> = {
  faults: {
    heading: new RegExp(`^Latest ${mode} run: ${when} UTC, ${commit}, Node [\\d.]+; (?<count>\\d+) combinations, (?:every one ok|\\d+ ok), \\d+ lost\\.$`),
    table: { header: '| scenario | broker | sent | acked | handled | dead-lettered | lost | dup | recovery |', row: /^\| [a-z-]+ \| (?:memory|redis|rabbitmq|kafka) \|(?: [^|]+ \|){7}$/ },
  },
  redelivery: { heading: new RegExp(`^Measured \\(scenario 3, [^;]+; ${mode} fault run of ${when}, ${commit}\\): .+\\.$`), oneLine: true },
  recovery: { heading: new RegExp(`^Measured \\([^;]+; ${mode} fault run of ${when}, ${commit}\\): .+\\.$`), oneLine: true },
  summary: { heading: new RegExp(`^From \`tools/bench/results\\.json\`, ${mode} run of ${when} UTC, ${commit}, median of \\d+ on .+$`) },
  'outbox-bench': {
    heading: new RegExp(`^Latest (?:smoke|full) run: ${when} UTC, ${commit}, PostgreSQL [^,]+, Node [^;]+; .+ at start\\.(?: A smoke run .+)?$`),
    table: { header: '| measurement | broker | outbox | baseline | ratio | target | result |', row: /^\| (?:staging|relay|latency|inbox)[^|]* \| (?:—|memory|redis|rabbitmq|kafka) \|(?: [^|]+ \|){5}$/ },
  },
  'cluster-bench': {
    heading: new RegExp(`^Latest cluster run: ${when} UTC, ${commit}, ${mode} mode, median of \\d+, eventwire from its [^;]+; [^;]*; .+ at start(?:, [\\d. ]+ at end)?\\.$`),
    table: { header: '| scenario | broker | against | eventwire | baseline | ratio | target | result | peak RSS MB (ew / base) |', row: /^\| (?:send|fire|consume)[a-z0-9-]* \| (?:redis|rabbitmq|kafka) \|(?: [^|]+ \|){7}$/ },
  },
  'envelope-probe': {
    heading: new RegExp(`^Latest probe run: ${when} UTC, ${commit}, eventwire from its [^;]+; .+, Node [^,]+, load [\\d. ]+ at start\\.$`),
    table: {
      header: "| scenario | broker | rounds | eventwire's envelope | CloudEvents binary | rate, binary ÷ envelope | CPU per message, binary ÷ envelope | result |",
      row: /^\| cloudevents-(?:send|consume) \| (?:memory|redis|rabbitmq|kafka) \|(?: [^|]+ \|){6}$/,
    },
  },
  results: {
    heading: new RegExp(`^Latest run: ${when} UTC, ${commit}, ${mode} mode, median of \\d+, .+$`),
    table: { header: '| scenario | broker | against | eventwire | baseline | ratio | target | result | peak RSS MB (ew / base) |', row: /^\| (?:send|fire|consume|http|cloudevents|otel)[a-z0-9-]* \| (?:memory|redis|rabbitmq|kafka) \|(?: [^|]+ \|){7}$/ },
  },
};

/**
 * The run a section names (its date, with the time where the section gives one, and its commit),
 * undefined when its heading is not the generated one.
 *
 * @example
 * namedCommit('faults', body); // { when: '2026-12-06 20:56', commit: '2b1cd4b3b7ef', run: '2026-12-06 20:56 2b1cd4b3b7ef' }
 */
export function namedCommit(name: string, body: string): { readonly when: string; readonly commit: string; readonly run: string } | undefined {
  const groups = shapes[name]?.heading.exec(body.split('\n')[0] ?? '')?.groups;
  if (groups?.when === undefined || groups.commit === undefined) return undefined;
  return { when: groups.when, commit: groups.commit, run: `${groups.when} ${groups.commit}` };
}

/** What is wrong with the table under a section's heading, undefined when nothing is. */
function tableProblem(lines: readonly string[], table: NonNullable<Shape['table']>, count: string | undefined): string | undefined {
  if (lines[1] !== '' || lines[2] !== table.header || !/^\|[-:| ]+\|$/.test(lines[3] ?? '')) return `no table under the heading (expected the header row ${table.header})`;
  const rows: string[] = [];
  for (const line of lines.slice(4)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  const bad = rows.find((row) => !table.row.test(row));
  if (bad !== undefined) return `a table row is not a generated one: ${bad}`;
  if (count !== undefined && rows.length !== Number(count)) return `the heading counts ${count} combinations, the table has ${rows.length} rows`;
  return undefined;
}

/**
 * What is wrong with the generated section `name` whose text is `body`, undefined when it is
 * well-formed: its heading names a run and the commit measured (or, for a run before
 * {@link commitsRecordedSince}, says it was not recorded), and a table section has its table.
 *
 * @example
 * assert.equal(wellFormed('faults', section), undefined);
 */
export function wellFormed(name: string, body: string): string | undefined {
  const shape = shapes[name];
  if (shape === undefined) return `no known form for a section named ${name}`;
  const lines = body.split('\n');
  const match = shape.heading.exec(lines[0] ?? '');
  const { when: date, commit: measured, count } = match?.groups ?? {};
  if (date === undefined || measured === undefined) return `the heading line is not the generated one: ${lines[0] ?? ''}`;
  if (measured === 'not recorded' && date.slice(0, 10) >= commitsRecordedSince) {
    return `names no commit, yet its run (${date}) is from after results files began to record one: re-run the measurement`;
  }
  if (shape.table !== undefined) return tableProblem(lines, shape.table, count);
  return shape.oneLine === true && lines.length > 1 ? 'a one-line section has more than one line' : undefined;
}
