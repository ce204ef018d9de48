import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
  const at = thrownAt(error);
  const where = at !== undefined ? ` Thrown at ${at}.` : error instanceof SyntaxError ? ` Node.js names the file and line when it loads the module itself: node --input-type=module --eval "await import('${pathToFileURL(file).href}')" (a syntax error stops the import before any module runs).` : '';
  return `${prefix} it threw while loading: ${sentence(what)}${where} Fix the module and start again.`;
}

/** eventwire's own folders, whose frames are not where the user's code went wrong. */
const ownFolders = ['lib', 'adapters', 'entry', 'outbox'].map((folder) => fileURLToPath(new URL(`../../${folder}/`, import.meta.url)));

/**
 * Where `error` comes from in the user's code: the file and line Node.js puts at the head of a
 * CommonJS syntax error's stack, else the first stack frame outside Node.js, `node_modules` and
 * eventwire itself (for an eventwire error, the call that passed the wrong value). A syntax
 * error in an ES module has no head, and its frames are the importer's: Node.js keeps its
 * location for an uncaught error only.
 */
function thrownAt(error: unknown): string | undefined {
  const lines = error instanceof Error && typeof error.stack === 'string' ? error.stack.split('\n') : [];
  const head = /^((?:file:\/\/|\/).+):(\d+)$/.exec(lines[0] ?? '');
  if (head !== null) return `${pathOf(head[1] ?? '')}:${head[2] ?? ''}`;
  // A syntax error's frames are those of whoever imported the file, not of the mistake.
  if (error instanceof SyntaxError) return undefined;
  for (const line of lines.slice(1)) {
    const frame = /^\s+at (?:.*\()?((?:file:\/\/|\/)[^()]+):(\d+):(\d+)\)?$/.exec(line);
    const path = frame === null ? undefined : pathOf(frame[1] ?? '');
    if (path === undefined || path.includes('/node_modules/') || ownFolders.some((folder) => path.startsWith(folder))) continue;
    return `${path}:${frame?.[2] ?? ''}:${frame?.[3] ?? ''}`;
  }
  return undefined;
}

function pathOf(location: string): string {
  return location.startsWith('file:') ? fileURLToPath(location) : location;
}
