import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { EventwireError } from '../errors/index.js';
import { CliExit, exitCodes } from './exit.js';
import { describeError, sentence } from './io.js';

const typeScriptExtensions = new Set(['.ts', '.mts', '.cts', '.tsx']);

/**
 * Imports each module in the order given, so that the handlers they register run in that
 * order. Paths resolve against `cwd`, never against this package. The first failure ends it
 * with a {@link CliExit} (code 3) naming the module.
 *
 * @example
 * await importModules(['./dist/consumers.js'], process.cwd());
 */
export async function importModules(modules: readonly string[], cwd: string): Promise<void> {
  for (const module of modules) {
    const file = resolve(cwd, module);
    try {
      await import(pathToFileURL(file).href);
    } catch (error) {
      throw new CliExit(exitCodes.importFailed, importFailure(module, file, error));
    }
  }
}

/**
 * The one-line explanation of why `module` (resolved to `file`) failed to import, chosen by
 * the error's `code`, with what to do about it.
 *
 * @example
 * importFailure('./a.ts', '/app/a.ts', Object.assign(new TypeError('…'), { code: 'ERR_UNKNOWN_FILE_EXTENSION' }));
 */
export function importFailure(module: string, file: string, error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  const prefix = `cannot import ${module}:`;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && typeScriptExtensions.has(extname(file))) {
    return (
      `${prefix} Node.js cannot load TypeScript by itself. Run the CLI under tsx ` +
      `(node --import tsx node_modules/.bin/eventwire consumer ${module}), ` +
      'or compile the module to JavaScript and give the .js file.'
    );
  }
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    return `${prefix} Node.js cannot load "${extname(file)}" files. Give a .js or .mjs module, or run the CLI with a loader for that file type.`;
  }
  if (code === 'ERR_MODULE_NOT_FOUND' && !existsSync(file)) {
    return `${prefix} there is no file ${file}. Module paths are relative to the current directory; check the path.`;
  }
  if (code === 'ERR_UNSUPPORTED_DIR_IMPORT') {
    return `${prefix} ${file} is a directory. Give the module file itself, such as ${module.replace(/\/?$/, '/index.js')}.`;
  }
  // A failure inside the module (its own throw, or one of its imports): say which, and that the
  // fix is in the module. The core's messages are already phrased for the reader and redacted.
  const what = error instanceof EventwireError ? error.message : describeError(error);
  return `${prefix} it threw while loading: ${sentence(what)} Fix the module and start again.`;
}
