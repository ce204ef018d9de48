import { getMessaging } from '../default-messaging.js';
import { InvalidArgumentError, MessagingNotConfiguredError } from '../errors/index.js';
import { consoleLogger } from '../config/logger.js';
import type { Messaging } from '../messaging.js';
import { expectBoolean, expectKnownKeys, expectObject, expectString, expectTopic } from '../config/validate.js';

/**
 * Options of `eventMiddleware` (Express and Koa alike): the seed's `@event` parameters.
 *
 * @example
 * eventMiddleware('user.created', { topic: 'user-events', keyField: 'id' });
 */
export interface EventMiddlewareOptions {
  /** Destination topic; default the configured `defaultTopic`. */
  readonly topic?: string | undefined;
  /** Field of the JSON result used as the ordering key; a dotted path such as `user.id` works. */
  readonly keyField?: string | undefined;
  /** Put the route's JSON result in `data` (default true); false sends `data: {}`. */
  readonly includeResult?: boolean | undefined;
  /** The instance to publish with; default the one `configureMessaging` made. */
  readonly messaging?: Messaging | undefined;
}

/** What the route left behind: its JSON result, or some other body (text, buffer, stream, none). */
export type RouteResult = { readonly json: true; readonly value: unknown } | { readonly json: false };

/**
 * The framework-neutral half of `eventMiddleware`: validates options once, then turns a finished
 * response into a fire-and-forget event. Never throws into the request: failures are logged and
 * counted by the instance.
 */
export interface RouteEvent {
  /** Call once the response finished (or the client went away) with the final status. */
  publish(status: number, result: RouteResult): void;
}

/**
 * Builds the publisher for one route.
 *
 * @example
 * const routeEvent = createRouteEvent('user.created', { keyField: 'id' });
 * onResponseEnd(res, () => routeEvent.publish(res.statusCode, { json: true, value: body }));
 */
export function createRouteEvent(name: string, options: EventMiddlewareOptions = {}): RouteEvent {
  expectString('name', name);
  expectKnownKeys('eventMiddleware options', expectObject('options', options), ['topic', 'keyField', 'includeResult', 'messaging']);
  const topic = options.topic === undefined ? undefined : expectTopic('topic', options.topic);
  const keyPath = options.keyField === undefined ? undefined : expectString('keyField', options.keyField).split('.');
  const includeResult = expectBoolean('includeResult', options.includeResult ?? true);
  if (options.messaging !== undefined && typeof expectObject('messaging', options.messaging).emitEvent !== 'function') {
    throw new InvalidArgumentError('messaging', 'Expected `messaging` to come from createMessaging() or configureMessaging().');
  }
  if (topic === undefined) checkDefaultTopic(name, options.messaging);

  return {
    publish(status, result) {
      if (status < 200 || status > 299) return;
      let messaging: Messaging;
      try {
        messaging = options.messaging ?? getMessaging();
      } catch (error) {
        consoleLogger.error(`event "${name}" not published: messaging is not configured`, { error });
        return;
      }
      const body = result.json ? result.value : undefined;
      const key = keyPath === undefined ? undefined : keyOf(body, keyPath);
      if (keyPath !== undefined && key === undefined) {
        messaging.logger.warn(`event "${name}" has no key: the result has no string or number at \`${keyPath.join('.')}\``);
      }
      try {
        messaging.emitEvent(name, includeResult && result.json ? result.value : {}, { topic, key });
      } catch (error) {
        messaging.logger.error(`event "${name}" not published`, { error });
      }
    },
  };
}

function checkDefaultTopic(name: string, messaging: Messaging | undefined): void {
  let instance = messaging;
  try {
    instance ??= getMessaging();
  } catch (error) {
    // Routes are often declared before configureMessaging runs; the check then waits for the request.
    if (error instanceof MessagingNotConfiguredError) return;
    throw error;
  }
  if (instance.defaultTopic === undefined) {
    throw new InvalidArgumentError('topic', `eventMiddleware("${name}") has no topic: pass { topic } or configure defaultTopic.`);
  }
}

/**
 * The string or number at `path` in a route's JSON result, as a message key; undefined when absent.
 *
 * @example
 * keyOf({ order: { id: 7 } }, ['order', 'id']); // '7'
 */
export function keyOf(body: unknown, path: readonly string[]): string | undefined {
  let value: unknown = body;
  for (const part of path) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
}
