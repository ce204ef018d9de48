/**
 * Whether the tests run in CI, where a missing broker must fail the run instead of skipping.
 *
 * CI services set `CI` to different values (`true`, `1`, `True`, a build name), so any
 * non-empty value counts, except `false` and `0` (any case, surrounding spaces ignored), which
 * a developer sets to say "not CI".
 *
 * @example
 * if (isCi()) throw new Error('redis is unreachable (CI requires every broker)');
 */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = (env.CI ?? '').trim().toLowerCase();
  return value !== '' && value !== 'false' && value !== '0';
}
