import type { Logger } from '../lib/config/logger.js';
import { withTracingSuppressed } from '../lib/telemetry/suppress.js';

/**
 * A client method wrapped the way OpenTelemetry instrumentations wrap (their shimmer): the
 * wrapper says `__wrapped: true` and keeps the method it replaced as `__original`. This is what
 * `isWrapped` of `@opentelemetry/instrumentation` checks.
 */
interface Wrapper {
  readonly __wrapped: true;
  readonly __original: (...args: never[]) => unknown;
}

/**
 * Whether `method` is an instrumentation's wrapper (shimmer's marks, as OpenTelemetry's
 * instrumentations leave them).
 *
 * @example
 * if (isWrapper(channel.publish)) headers = { ...headers }; // the wrapper may keep or add to them
 */
export function isWrapper(method: unknown): method is Wrapper {
  return typeof method === 'function' && (method as Partial<Wrapper>).__wrapped === true && typeof (method as Partial<Wrapper>).__original === 'function';
}

/**
 * Keeps an OpenTelemetry instrumentation of the client library (`@opentelemetry/instrumentation-kafkajs`,
 * `-amqplib`) from tracing eventwire's own publishes and consumers a second time, once the core
 * said eventwire traces them ({@link ClientSpans.own}). Until then, and for every use of the client
 * outside eventwire, the instrumentation works as installed. Detection is by the wrapper's marks,
 * so the instrumentation package is never imported.
 *
 * @example
 * const spans = new ClientSpans('@opentelemetry/instrumentation-kafkajs', logger);
 * await spans.publish(producer.sendBatch, () => producer.sendBatch(batch));
 */
export class ClientSpans {
  readonly #instrumentation: string;
  readonly #logger: Logger;
  #owned = false;
  #told = false;

  constructor(instrumentation: string, logger: Logger) {
    this.#instrumentation = instrumentation;
    this.#logger = logger;
  }

  /** eventwire's tracing is on: its spans stand in for the instrumentation's on its own calls. */
  own(): void {
    this.#owned = true;
  }

  /**
   * Runs `call`, which publishes through the client's `method`. When eventwire traces and an
   * instrumentation wrapped `method`, tracing is suppressed under the call: the wrapper starts no
   * span and writes no `traceparent`, so the message keeps the one of eventwire's `send` span.
   */
  publish<T>(method: unknown, call: () => T): T {
    return this.wraps(method) ? withTracingSuppressed(call) : call();
  }

  /** Whether {@link publish} suppresses tracing under calls of `method`: eventwire traces and an instrumentation wrapped it. */
  wraps(method: unknown): boolean {
    if (!this.#owned || !isWrapper(method)) return false;
    this.#detected();
    return true;
  }

  /**
   * `method` itself, or what an instrumentation wrapped when eventwire traces: for starting a
   * consumer, whose wrapper would start a consumer span per message from the message's headers,
   * a context eventwire cannot suppress. Call the result with the client object as `this`.
   */
  consumer<F extends (...args: never[]) => unknown>(method: F): F {
    if (!this.#owned || !isWrapper(method)) return method;
    this.#detected();
    let original: unknown = method;
    while (isWrapper(original)) original = original.__original;
    return original as F;
  }

  #detected(): void {
    if (this.#told) return;
    this.#told = true;
    this.#logger.info(
      `${this.#instrumentation} is active: eventwire's spans replace its producer and consumer spans for eventwire's own messages (telemetry: { tracing: false } keeps the instrumentation's instead)`,
    );
  }
}
