/**
 * Mocha root hook plugin (loaded through the `require` option of both mocha configurations):
 * once every test and hook has run, the process has `graceMs` to exit by itself. Mocha runs
 * with `exit: false`, so a socket, server, timer or child process a test left open would keep
 * the process, and CI, waiting forever; instead, after the grace period, this prints what is
 * still open and exits with code 1.
 *
 * The grace period (default 15 s, `EVENTWIRE_OPEN_HANDLE_GRACE_MS` overrides it) leaves room for
 * connections that close in the background after the last `after` hook, on a loaded machine.
 */

const defaultGraceMs = 15_000;

/** Node's handle objects, as far as this file reads them (`process._getActiveHandles` is undocumented). */
interface HandleLike {
  readonly constructor?: { readonly name?: string };
  readonly remoteAddress?: string;
  readonly remotePort?: number;
  readonly localPort?: number;
  readonly pid?: number;
  readonly spawnfile?: string;
  address?(): unknown;
}

/**
 * What keeps the event loop alive, one line per kind: Node's resource types
 * (`process.getActiveResourcesInfo()`, e.g. `TCPSocketWrap ×2`), then, where Node exposes
 * them, the sockets' peers, the servers' ports and the child processes, so the message names
 * the connection that was left open.
 *
 * @example
 * console.error(openHandles().join('\n'));
 */
export function openHandles(): string[] {
  const counts = new Map<string, number>();
  for (const type of process.getActiveResourcesInfo()) counts.set(type, (counts.get(type) ?? 0) + 1);
  const lines = [...counts].map(([type, count]) => `${type} ×${count}`);
  const handles = (process as unknown as { _getActiveHandles?: () => HandleLike[] })._getActiveHandles?.() ?? [];
  for (const handle of handles) {
    const detail = describeHandle(handle);
    if (detail !== undefined) lines.push(`  ${detail}`);
  }
  return lines;
}

function describeHandle(handle: HandleLike): string | undefined {
  const kind = handle.constructor?.name ?? 'handle';
  if (handle.remoteAddress !== undefined) return `${kind} to ${handle.remoteAddress}:${String(handle.remotePort)} (local port ${String(handle.localPort)})`;
  if (kind === 'ChildProcess') return `child process ${String(handle.pid)} (${handle.spawnfile ?? '?'})`;
  if (kind === 'Server' && typeof handle.address === 'function') return `server listening on ${JSON.stringify(handle.address())}`;
  return undefined;
}

/** The grace period after the run, in milliseconds, from the environment or the default. */
export function openHandleGraceMs(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env.EVENTWIRE_OPEN_HANDLE_GRACE_MS);
  return Number.isFinite(configured) && configured > 0 ? configured : defaultGraceMs;
}

/** Mocha's root hooks: see the module's contract. */
export const mochaHooks = {
  afterAll(): void {
    // When nothing is left open the event loop ends and Node tears the environment down before it
    // exits. A CI run once finished every test and then spun at 100 % CPU in that teardown
    // (node::Environment::CleanupHandles, waiting on a request a library never completed) until
    // the job's time limit. 'beforeExit' comes only when the loop ended by itself, so exiting from
    // it skips that teardown and leaves the check below intact: anything still open keeps the
    // loop alive, and no 'beforeExit' comes. process.exit() emits 'exit' first, where Mocha sets
    // the exit code to its failure count, and then exits with that code.
    process.once('beforeExit', () => process.exit());
    const graceMs = openHandleGraceMs();
    // unref: the timer itself must not keep the process alive, nor appear in what it reports.
    setTimeout(() => {
      const open = openHandles();
      process.stderr.write(
        `\n[open handles] the test run ended ${graceMs} ms ago but the process is still kept alive by:\n${open.map((line) => `  ${line}`).join('\n')}\n` +
          'Close them in an after/afterEach hook. Exiting with code 1.\n',
      );
      // Mocha's own 'exit' listener sets the exit code to the number of failures (0 here); this
      // one is added after it, so it runs last and the code stays 1.
      process.on('exit', () => {
        process.exitCode = 1;
      });
      process.exit(1);
    }, graceMs).unref();
  },
};
