import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * eventwire as users run it: compiled by tsc (tsconfig.build.json), not the TypeScript source
 * through tsx. tsx compiles with esbuild's `keepNames`, which wraps every named function created
 * at run time (each closure of a publish) in an `Object.defineProperty` call: on the in-process
 * broker that was about a third of a send's CPU time, a cost no user pays. The bench code itself
 * (scenarios, raw baselines, eventwire's driver) still runs under tsx, alike for every side.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const buildDir = fileURLToPath(new URL('../../.cache/bench-build/', import.meta.url));

/**
 * Compiles the package (entry/, lib/, adapters/) into `.cache/bench-build/dist` and writes a
 * tsconfig there whose `paths` send `eventwire` and `eventwire/*` to that build; returns its path,
 * for `TSX_TSCONFIG_PATH` in every child. Throws with tsc's output when the build fails.
 *
 * @example
 * const env = { ...process.env, TSX_TSCONFIG_PATH: buildEventwire() };
 */
export function buildEventwire(): string {
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(buildDir, { recursive: true });
  const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', `${buildDir}dist`, '--declaration', 'false', '--sourceMap', 'false', '--inlineSources', 'false'], { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    throw new Error(`compiling eventwire for the bench failed (run with --source to measure the TypeScript source):\n${output}`, { cause: error });
  }
  const base = JSON.parse(readFileSync(`${root}tsconfig.json`, 'utf8')) as { compilerOptions: { paths: Record<string, string[]> } };
  const paths = Object.fromEntries(
    Object.entries(base.compilerOptions.paths).map(([name, targets]) => [name, targets.map((target) => target.replace(/^\.\//, './dist/').replace(/\.ts$/, '.js'))]),
  );
  const tsconfig = `${buildDir}tsconfig.json`;
  writeFileSync(tsconfig, `${JSON.stringify({ extends: '../../tsconfig.json', compilerOptions: { paths } }, null, 2)}\n`);
  return tsconfig;
}

/**
 * For a script run by hand (a probe): unless it already runs under the build (or `--source` is
 * given), compiles eventwire, runs the script `self` again with the same arguments under the
 * build, as the bench's children run, and returns true once that run ended (its exit status set
 * as this process's). Returns false when the caller should go on and do its work.
 *
 * @example
 * if (!rerunUnderBuild(import.meta.url, argv)) await probe(parseArgs(argv));
 */
export function rerunUnderBuild(self: string, argv: readonly string[]): boolean {
  if (process.env.TSX_TSCONFIG_PATH !== undefined || argv.includes('--source')) return false;
  const env = { ...process.env, TSX_TSCONFIG_PATH: buildEventwire() };
  const result = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(self), ...argv], { env, stdio: 'inherit' });
  process.exitCode = result.status ?? 1;
  return true;
}
