import { execFile, type ExecFileOptions } from 'node:child_process';

/**
 * Runs a command to its end for its output: how the fault runner calls `rabbitmqctl`,
 * `scripts/brokers.sh` and `ps`.
 *
 * {@link runCommand} resolves with the command's stdout when it exits 0 within its timeout (60 s
 * unless `options.timeout` says otherwise). It rejects naming the command when it is not
 * installed, and with its arguments, the failure and its stderr otherwise.
 */

/**
 * Runs `file` with `args` and resolves with its stdout; see the module's contract.
 *
 * @example
 * const out = await runCommand('ps', ['-o', 'args=', '-p', String(pid)]);
 */
export function runCommand(file: string, args: string[], options: ExecFileOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 60_000, ...options, encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error === null) return resolve(String(stdout));
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return reject(new Error(`${file} is not installed (or not on PATH)`));
      reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${String(stderr).trim()}`.trim()));
    });
  });
}
