import { DeliveryAbandonedError, MalformedMessageError, RetriesExhaustedError, RetryDeclinedError, UnrecoverableError, ValidationError } from '../errors/index.js';
import type { IncomingMessage } from '../broker.js';
import { attempt, type DeliveryContext, type Middleware } from './chain.js';
import type { MessagingStats } from '../stats.js';
import type { Logger } from '../config/logger.js';
import type { Telemetry } from '../telemetry/telemetry.js';




/**
 * Decides whether a failed attempt is retried; `attempt` is the one that failed (1 for the
 * first). It is asked only when a retry is left and the error is not permanent.
 *
 * @example
 * const shouldRetry: ShouldRetry = (error) => !(error instanceof TypeError);
 */
export type ShouldRetry = (error: unknown, attempt: number) => boolean | Promise<boolean>;

/**
 * Options of {@link withRetry}.
 *
 * @example
 * withRetry({ maxRetries: 3, delay: () => 1000, shouldRetry: undefined, stats });
 */
export interface RetryOptions {
  /** Attempts after the first one. */
  readonly maxRetries: number;
  /** The wait before the retry that follows failed attempt `attempt` (see `retryDelay`). */
  readonly delay: (attempt: number) => number;
  readonly shouldRetry: ShouldRetry | undefined;
  readonly stats: MessagingStats;
  /** Told of each retry (a span event on the delivery's `process` span). */
  readonly telemetry?: Pick<Telemetry, 'retrying'>;
}

/**
 * Retries a failing handler up to `maxRetries` times, waiting `delay(attempt)` before each
 * retry, then throws {@link RetriesExhaustedError}. A permanent error, or one `shouldRetry`
 * declines, ends it at once with {@link RetryDeclinedError}. The stop signal is checked between
 * attempts: a stopped consumer abandons the delivery (left for redelivery, not dead-lettered).
 *
 * @example
 * const handler = withRetry({ maxRetries: 3, delay: () => 1000, shouldRetry: undefined, stats })(work);
 */
export function withRetry(options: RetryOptions): Middleware {
  return (next) => {
    // The retry loop, from the first failure on.
    const retry = async (message: IncomingMessage, ctx: DeliveryContext, failure: unknown): Promise<void> => {
      let error = failure;
      for (let attempt = 1; ; attempt += 1) {
        if (isPermanent(error)) throw new RetryDeclinedError(attempt, error);
        if (attempt > options.maxRetries) throw new RetriesExhaustedError(attempt, error);
        if (!(await retries(options.shouldRetry, error, attempt, ctx.logger))) throw new RetryDeclinedError(attempt, error);
        const retryInMs = options.delay(attempt);
        options.stats.retried += 1;
        options.telemetry?.retrying(attempt, retryInMs, error);
        ctx.logger.warn('handler failed; retrying', { topic: message.topic, groupId: ctx.groupId, attempt, retryInMs, error });
        await pause(retryInMs, ctx.signal, error);
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

/** Errors that retrying cannot fix: the same bytes, or the handler's own verdict, fail the same way. */
function isPermanent(error: unknown): boolean {
  return error instanceof ValidationError || error instanceof MalformedMessageError || error instanceof UnrecoverableError;
}

/**
 * Asks `shouldRetry`. One that throws counts as "no": a bug in the predicate must neither lose the
 * message nor retry it forever, and a dead letter keeps it for inspection.
 */
async function retries(shouldRetry: ShouldRetry | undefined, error: unknown, attempt: number, logger: Logger): Promise<boolean> {
  if (shouldRetry === undefined) return true;
  try {
    return (await shouldRetry(error, attempt)) === true;
  } catch (thrown) {
    logger.error('shouldRetry threw; the message is not retried', { attempt, error: thrown });
    return false;
  }
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
