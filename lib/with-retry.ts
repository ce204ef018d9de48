import { EventwireError, isPermanent } from './errors.js';
import type { IncomingMessage } from './broker.js';
import { attempt, type DeliveryContext, type HandlerMiddleware } from './handler.js';
import type { MessagingStats } from './stats.js';

/**
 * Thrown down the chain when the consumer stopped between attempts: the message was neither
 * handled nor exhausted its retries, so it must stay unacknowledged, not be dead-lettered.
 *
 * @example
 * if (error instanceof DeliveryAbandonedError) throw error; // let the broker redeliver it
 */
export class DeliveryAbandonedError extends EventwireError {
  readonly code = 'EVENTWIRE_DELIVERY_ABANDONED';
  constructor(options: { cause?: unknown }) {
    super('The consumer stopped before the message was handled; the broker will deliver it again.', options);
  }
}

/**
 * The handler failed on every attempt; `cause` is the last failure. The dead-letter middleware
 * records both.
 *
 * @example
 * if (error instanceof RetriesExhaustedError) console.log(error.attempts, error.cause);
 */
export class RetriesExhaustedError extends EventwireError {
  readonly code = 'EVENTWIRE_RETRIES_EXHAUSTED';
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`The handler failed ${attempts} time(s): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Options of {@link withRetry}.
 *
 * @example
 * withRetry({ maxRetries: 3, retryDelayMs: 5000 });
 */
export interface RetryOptions {
  /** Attempts after the first one. */
  readonly maxRetries: number;
  /** Linear delay between attempts, as in the seed. */
  readonly retryDelayMs: number;
  readonly stats?: MessagingStats;
}

/**
 * Retries a failing handler `maxRetries` times, `retryDelayMs` apart, then throws
 * {@link RetriesExhaustedError}. Permanent errors (schema, malformed JSON) are not
 * retried. The stop signal is checked between attempts.
 *
 * @example
 * const handler = withRetry({ maxRetries: 3, retryDelayMs: 1000 })(async (m) => charge(m));
 */
export function withRetry(options: RetryOptions): HandlerMiddleware {
  return (next) => {
    // The retry loop, from the first failure on.
    const retry = async (message: IncomingMessage, ctx: DeliveryContext, failure: unknown): Promise<void> => {
      let error = failure;
      for (let attempt = 1; ; attempt += 1) {
        if (isPermanent(error)) throw error;
        if (attempt > options.maxRetries) throw new RetriesExhaustedError(attempt, error);
        if (options.stats !== undefined) options.stats.retried += 1;
        ctx.logger.warn('handler failed; retrying', {
          topic: message.topic,
          groupId: ctx.groupId,
          attempt,
          retryInMs: options.retryDelayMs,
          error,
        });
        await pause(options.retryDelayMs, ctx.signal, error);
        try {
          await next(message, { ...ctx, attempt: attempt + 1 });
          return;
        } catch (again) {
          error = again;
        }
      }
    };
    // The first attempt is a plain call, no async frame: it is the only one almost every message needs.
    return (message, ctx) => attempt(next, message, ctx).catch((error: unknown) => retry(message, ctx, error));
  };
}

function pause(ms: number, signal: AbortSignal, lastError: unknown): Promise<void> {
  if (signal.aborted) return Promise.reject(new DeliveryAbandonedError({ cause: lastError }));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new DeliveryAbandonedError({ cause: lastError }));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
