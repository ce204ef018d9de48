import { getMessaging } from '../default-messaging.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { Messaging } from '../messaging.js';
import { describe, expectKnownKeys, expectObject } from '../config/validate.js';

/**
 * Options of `healthHandler` (Express and Koa alike).
 *
 * @example
 * app.get('/readyz', healthHandler({ probe: 'ready' }));
 */
export interface HealthHandlerOptions {
  /** `ready` (default): 503 while the broker is down or the instance drains; `live`: 503 only when the connection failed for good. */
  readonly probe?: 'ready' | 'live';
  /** The instance to report on; default the one `configureMessaging` made. */
  readonly messaging?: Messaging;
}

/** What a health route answers: a status code and a JSON body. */
export interface HealthAnswer {
  readonly status: 200 | 503;
  readonly body: unknown;
}

/**
 * The framework-neutral half of `healthHandler`: validates options once, then answers from
 * `messaging.health()` on each request. Never throws into the request.
 *
 * @example
 * const answer = createHealthRoute({ probe: 'live' }); const { status, body } = answer();
 */
export function createHealthRoute(options: HealthHandlerOptions = {}): () => HealthAnswer {
  expectKnownKeys('healthHandler options', expectObject('options', options), ['probe', 'messaging']);
  const probe = options.probe ?? 'ready';
  if (probe !== 'ready' && probe !== 'live') {
    throw new InvalidArgumentError('probe', `Expected \`probe\` to be 'ready' or 'live', got ${describe(probe)}.`);
  }
  if (options.messaging !== undefined && typeof expectObject('messaging', options.messaging).health !== 'function') {
    throw new InvalidArgumentError('messaging', 'Expected `messaging` to come from createMessaging() or configureMessaging().');
  }
  return () => {
    let messaging: Messaging;
    try {
      messaging = options.messaging ?? getMessaging();
    } catch {
      return { status: 503, body: { ready: false, live: false, error: 'messaging is not configured' } };
    }
    const report = messaging.health();
    return { status: report[probe] ? 200 : 503, body: report };
  };
}
