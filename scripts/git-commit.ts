import { execFileSync } from 'node:child_process';

/**
 * The commit a measurement ran on, for the results files of `npm run bench` and `npm run faults`
 * and the documents generated from them. One copy, so both name commits the same way.
 */

/**
 * The checked-out commit (12 hex digits), `-dirty` when tracked files changed; `unknown` outside
 * a git checkout.
 *
 * @example
 * const commit = currentCommit(); // '3e8b88d1a2b4' or '3e8b88d1a2b4-dirty'
 */
export function currentCommit(): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const head = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? head : `${head}-dirty`;
  } catch {
    return 'unknown';
  }
}
