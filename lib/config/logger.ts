import { redactSecrets } from './redact.js';

/**
 * The logging seam. Any object with these four methods works (pino, winston and console-like
 * loggers fit with a one-line adapter). Fields never carry secrets: URLs are redacted first.
 *
 * @example
 * configureMessaging({ broker: 'memory', logger: { debug() {}, info: console.info, warn: console.warn, error: console.error } });
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const write = (level: string, message: string, fields?: Record<string, unknown>): void => {
  const suffix = fields === undefined ? '' : ` ${safeStringify(fields)}`;
  // Client libraries sometimes echo connection strings in their errors: mask them here too.
  process.stderr.write(redactSecrets(`eventwire ${level}: ${message}${suffix}`) + '\n');
};

/**
 * The default logger: warnings and errors to stderr, nothing else.
 *
 * @example
 * consoleLogger.warn('broker unreachable', { broker: 'redis' });
 */
export const consoleLogger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (message, fields) => write('warn', message, fields),
  error: (message, fields) => write('error', message, fields),
};

/**
 * A logger that drops everything, for tests and benchmarks.
 *
 * @example
 * createMessaging({ broker: 'memory', logger: silentLogger });
 */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function safeStringify(fields: Record<string, unknown>): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) =>
      value instanceof Error ? { name: value.name, message: value.message } : value,
    );
  } catch {
    return '[unserializable fields]';
  }
}
