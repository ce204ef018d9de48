import { InvalidArgumentError } from '../errors/index.js';
import type { Logger } from './logger.js';
import { redactUrl } from './redact.js';

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
 * An integer from `minimum` to `maximum` (default: the largest safe integer).
 *
 * @example
 * expectInteger('maxRetries', 3, 0);
 * expectInteger('prefetch', 10, 1, 65535);
 */
export function expectInteger(name: string, value: unknown, minimum: number, maximum = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum || value > maximum) {
    const range = maximum < Number.MAX_SAFE_INTEGER ? `an integer from ${minimum} to ${maximum}` : minimum === 0 ? 'a non-negative integer' : `an integer of at least ${minimum}`;
    fail(name, range, value);
  }
  return value;
}

/**
 * The value, or `fallback` when it was not given: only `undefined` means "not given", so that a
 * `null` is reported as the mistake it is.
 *
 * @example
 * expectInteger('blockMs', withDefault(options.blockMs, 2000), 1);
 */
export function withDefault(value: unknown, fallback: unknown): unknown {
  return value === undefined ? fallback : value;
}

/**
 * A string that `pattern` matches; `expected` says in words what that is.
 *
 * @example
 * expectMatch('exchange', 'orders', /^[a-z]+$/, 'a name of lower-case letters');
 */
export function expectMatch(name: string, value: unknown, pattern: RegExp, expected: string): string {
  if (typeof value !== 'string' || !pattern.test(value)) fail(name, expected, value);
  return value;
}

/**
 * A URL with one of `protocols` (`['redis:', 'rediss:']`); a password in it is masked in the error.
 *
 * @example
 * expectUrl('url', 'amqp://guest:guest@mq:5672', ['amqp:', 'amqps:']);
 */
export function expectUrl(name: string, value: unknown, protocols: readonly string[]): string {
  const valid = typeof value === 'string' && URL.canParse(value) && protocols.includes(new URL(value).protocol) && new URL(value).host !== '';
  if (!valid) {
    const schemes = protocols.map((protocol) => `${protocol}//`).join(' or ');
    fail(name, `${/^[aeiou]/.test(schemes) ? 'an' : 'a'} ${schemes} URL`, typeof value === 'string' ? redactUrl(value) : value);
  }
  return value;
}

/**
 * One URL or a non-empty list of them (one per node of a cluster), each checked as by
 * {@link expectUrl} and named by its index (`url[1]`); returned as a list.
 *
 * @example
 * expectUrls('url', ['amqp://mq1:5672', 'amqp://mq2:5672'], ['amqp:', 'amqps:']);
 */
export function expectUrls(name: string, value: unknown, protocols: readonly string[]): string[] {
  if (!Array.isArray(value)) return [expectUrl(name, value, protocols)];
  if (value.length === 0) fail(name, 'a URL or a non-empty array of URLs', value);
  return value.map((entry: unknown, index) => expectUrl(`${name}[${index}]`, entry, protocols));
}

/**
 * One of the listed strings.
 *
 * @example
 * expectOneOf('queueType', 'quorum', ['quorum', 'classic'] as const);
 */
export function expectOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) fail(name, `one of ${allowed.map((entry) => `"${entry}"`).join(', ')}`, value);
  return value as T;
}

/**
 * A list of `host:port` addresses, given as an array or as one comma-separated string.
 *
 * @example
 * expectHostPorts('bootstrapServers', 'k1:9092,k2:9092'); // ['k1:9092', 'k2:9092']
 */
export function expectHostPorts(name: string, value: unknown): string[] {
  const list: unknown = typeof value === 'string' ? value.split(',').map((entry) => entry.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) fail(name, '"host:port" or a non-empty array of them', value);
  return list.map((entry: unknown) => {
    const port = typeof entry === 'string' ? Number(/^[^\s:/,@]+:(\d{1,5})$/.exec(entry)?.[1]) : Number.NaN;
    if (!(port >= 1 && port <= 65535)) fail(name, 'a list of "host:port" with ports from 1 to 65535', entry);
    return entry as string;
  });
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
 * Rejects option names the function does not know, catching typos such as `maxRetry`: the error
 * suggests the known name closest to a typo, and lists the known ones.
 *
 * @example
 * expectKnownKeys('messageHandler options', { topic: 'a' }, ['topic', 'maxRetries']);
 */
export function expectKnownKeys(what: string, options: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    const hint = near === undefined ? '' : ` Did you mean \`${near}\`?`;
    throw new InvalidArgumentError(key, `Unknown option \`${key}\` in ${what}.${hint} Known options: ${known.join(', ')}.`);
  }
}

/**
 * The known name a typo most likely meant: at most a third of its letters edited, case aside
 * (`retries` for `maxRetries`, `MAXLEN` for `maxLen`).
 */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: { readonly name: string; readonly distance: number } | undefined;
  const lower = key.toLowerCase();
  for (const name of known) {
    const distance = editDistance(lower, name.toLowerCase());
    if (distance <= Math.max(1, Math.floor(name.length / 3)) && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= b.length; j += 1) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}
