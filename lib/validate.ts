import { InvalidArgumentError } from './errors.js';
import type { Logger } from './logger.js';

/**
 * Up-front checks for public entry points, in one voice:
 * ``Expected `maxRetries` to be a non-negative integer, got -1.``
 */

const TOPIC = /^[A-Za-z0-9._-]{1,200}$/;
const GROUP = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * Renders a received value for an error message without dumping large or secret-looking data.
 *
 * @example
 * describe('x'.repeat(100)); // '"xxxx…" (100 characters)'
 */
export function describe(value: unknown): string {
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 20)}…" (${value.length} characters)` : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'function' ? 'a function' : `a value of type ${typeof value}`;
}

function fail(name: string, expected: string, value: unknown): never {
  throw new InvalidArgumentError(name, `Expected \`${name}\` to be ${expected}, got ${describe(value)}.`);
}

/**
 * @example
 * expectString('source', 'billing');
 */
export function expectString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') fail(name, 'a non-empty string', value);
  return value;
}

/**
 * @example
 * expectInteger('maxRetries', 3, 0);
 */
export function expectInteger(name: string, value: unknown, minimum: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum) {
    fail(name, minimum === 0 ? 'a non-negative integer' : `an integer of at least ${minimum}`, value);
  }
  return value;
}

/**
 * @example
 * expectBoolean('includeResult', true);
 */
export function expectBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(name, 'a boolean', value);
  return value;
}

/**
 * @example
 * expectFunction('handler', async () => {});
 */
export function expectFunction<F extends (...args: never[]) => unknown>(name: string, value: unknown): F {
  if (typeof value !== 'function') fail(name, 'a function', value);
  return value as F;
}

/**
 * @example
 * expectObject('options', {});
 */
export function expectObject(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(name, 'an object', value);
  return value as Record<string, unknown>;
}

/**
 * A logger is any object with `debug`, `info`, `warn` and `error` functions (console, pino, …).
 *
 * @example
 * expectLogger('logger', console);
 */
export function expectLogger(name: string, value: unknown): Logger {
  const object = expectObject(name, value);
  for (const level of ['debug', 'info', 'warn', 'error']) expectFunction(`${name}.${level}`, object[level]);
  return object as unknown as Logger;
}

/**
 * Topic names are portable across Kafka, RabbitMQ routing keys and Redis stream names.
 *
 * @example
 * expectTopic('topic', 'user-events');
 */
export function expectTopic(name: string, value: unknown): string {
  if (typeof value !== 'string' || !TOPIC.test(value)) {
    fail(name, 'a topic name of 1 to 200 letters, digits, ".", "_" or "-"', value);
  }
  return value;
}

/**
 * One topic or a non-empty list of them, returned as a de-duplicated list.
 *
 * @example
 * expectTopics('topics', ['a', 'b']); // ['a', 'b']
 */
export function expectTopics(name: string, value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0) fail(name, 'a topic name or a non-empty array of them', value);
  return [...new Set(list.map((topic, index) => expectTopic(`${name}[${index}]`, topic)))];
}

/**
 * @example
 * expectGroupId('groupId', 'order-service');
 */
export function expectGroupId(name: string, value: unknown): string {
  if (typeof value !== 'string' || !GROUP.test(value)) {
    fail(name, 'a group id of 1 to 200 letters, digits, ".", "_", ":" or "-"', value);
  }
  return value;
}

/**
 * Rejects option names the function does not know, catching typos such as `maxRetry`.
 *
 * @example
 * expectKnownKeys('messageHandler options', { topic: 'a' }, ['topic', 'maxRetries']);
 */
export function expectKnownKeys(what: string, options: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new InvalidArgumentError(key, `Unknown option \`${key}\` in ${what}. Known options: ${known.join(', ')}.`);
    }
  }
}
