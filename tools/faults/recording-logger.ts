import type { Logger } from '../../entry/index.js';

/** A logger that keeps counts and the first lines of each level, for the report's notes. */
export interface RecordingLogger extends Logger {
  readonly lines: { readonly level: string; readonly message: string; readonly fields?: Record<string, unknown> }[];
  count(level: 'warn' | 'error', pattern?: RegExp): number;
  describe(): string[];
}

/**
 * Creates a {@link RecordingLogger}; `FAULTS_VERBOSE=1` also prints warnings and errors.
 *
 * @example
 * const log = recordingLogger(); createMessaging({ broker, logger: log });
 */
export function recordingLogger(): RecordingLogger {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const verbose = process.env.FAULTS_VERBOSE === '1';
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    if (level === 'debug') return;
    if (lines.length < 50_000) lines.push(fields === undefined ? { level, message } : { level, message, fields });
    if (verbose && level !== 'info') process.stderr.write(`  [${level}] ${message} ${describeError(fields?.error)}\n`);
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    count: (level, pattern) => lines.filter((line) => line.level === level && (pattern === undefined || pattern.test(line.message))).length,
    describe() {
      const out: string[] = [];
      for (const level of ['warn', 'error']) {
        const mine = lines.filter((line) => line.level === level);
        if (mine.length === 0) continue;
        const kinds = new Map<string, number>();
        for (const line of mine) kinds.set(line.message, (kinds.get(line.message) ?? 0) + 1);
        const top = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([message, n]) => `${n}× "${message}"`);
        out.push(`logged ${mine.length} ${level === 'warn' ? 'warnings' : 'errors'}: ${top.join('; ')}`);
      }
      return out;
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `(${error.name}: ${error.message.slice(0, 200)})` : '';
}
