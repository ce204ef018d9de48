import { readFileSync } from 'node:fs';

/** Read once: the manifest does not change while the process runs. */
let version: string | undefined;

/**
 * The installed package's version, read from the nearest `package.json` named "eventwire"
 * above this file (the source tree and the built `dist/` sit at different depths).
 *
 * @example
 * packageVersion(); // '0.1.0'
 */
export function packageVersion(): string {
  version ??= readVersion();
  return version;
}

function readVersion(): string {
  for (let dir = new URL('./', import.meta.url); ; dir = new URL('../', dir)) {
    try {
      const manifest = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'eventwire' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // No readable package.json here: keep climbing.
    }
    if (new URL('../', dir).href === dir.href) return 'unknown';
  }
}
