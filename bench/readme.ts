import { readFileSync, writeFileSync } from 'node:fs';

const readmePath = new URL('./README.md', import.meta.url);
const start = '<!-- results:start -->';
const end = '<!-- results:end -->';

/** Replaces the results section of bench/README.md with the latest table. */
export function updateReadme(heading: string, table: string): boolean {
  const text = readFileSync(readmePath, 'utf8');
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from < 0 || to < from) return false;
  writeFileSync(readmePath, `${text.slice(0, from + start.length)}\n${heading}\n\n${table}\n${text.slice(to)}`);
  return true;
}
