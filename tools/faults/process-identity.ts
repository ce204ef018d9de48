import { readFile } from 'node:fs/promises';
import { runCommand } from './command.js';

/**
 * Which process a pid is: how the fault runner tells a run or server that is still there from
 * one that is gone, when all it has is a pid recorded in a file.
 *
 * A pid alone can be reused by a later, unrelated process. A {@link ProcessIdentity} adds the
 * process's start time (Linux: field 22 of /proc/<pid>/stat; elsewhere `ps -o lstart`), and
 * {@link running} answers true only while the pid is alive and, where both start times are
 * known, they match. {@link commandOf} gives a process's command line, to check that a recorded
 * pid is still the server it was. Nothing here throws for a process that is gone or unreadable:
 * the answer is false or undefined.
 */

/** A process told apart from a later one with the same pid by its start time. */
export interface ProcessIdentity {
  readonly pid: number;
  /** As the system reports it; undefined where it cannot be read. */
  readonly started: string | undefined;
}

/**
 * The identity of the live process `pid`, to record now and check later with {@link running}.
 *
 * @example
 * await writeFile('runner.json', JSON.stringify(await identify(process.pid)));
 */
export async function identify(pid: number): Promise<ProcessIdentity> {
  return { pid, started: await startTimeOf(pid) };
}

/**
 * True while the process is the one recorded (same pid and, where known, same start time).
 *
 * @example
 * if (!(await running(recorded))) removeItsLeftovers();
 */
export async function running(identity: ProcessIdentity): Promise<boolean> {
  if (!alive(identity.pid)) return false;
  const started = await startTimeOf(identity.pid);
  return identity.started === undefined || started === undefined || started === identity.started;
}

/**
 * Whether a process with this pid exists (one of another user's counts).
 *
 * @example
 * await waitFor('the server to exit', 30_000, async () => !alive(pid));
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The command line of `pid`, its arguments joined by spaces; undefined when it is gone.
 *
 * @example
 * if ((await commandOf(pid))?.includes('redis-server')) process.kill(pid, 'SIGKILL');
 */
export async function commandOf(pid: number): Promise<string | undefined> {
  const proc = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => undefined);
  if (proc !== undefined) return proc.split('\0').join(' ');
  const ps = await runCommand('ps', ['-o', 'args=', '-p', String(pid)]).catch(() => '');
  return ps.trim() === '' ? undefined : ps.trim();
}

/**
 * The pid written in `file`; undefined when the file is missing or holds no positive integer.
 *
 * @example
 * const pid = await readPid(join(dir, 'server.pid'));
 */
export async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** Linux: field 22 of /proc/<pid>/stat (clock ticks since boot); elsewhere ps's start time. */
async function startTimeOf(pid: number): Promise<string | undefined> {
  const proc = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  // Fields 3 onwards follow the command name in parentheses, which may contain spaces.
  if (proc !== undefined) return proc.slice(proc.lastIndexOf(')') + 2).split(' ')[19];
  const ps = await runCommand('ps', ['-o', 'lstart=', '-p', String(pid)]).catch(() => '');
  return ps.trim() === '' ? undefined : ps.trim();
}
