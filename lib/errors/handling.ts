import { EventwireError } from './base.js';

/**
 * A received payload failed its schema. Never retried: dead-lettered at once.
 *
 * @example
 * ctx.error instanceof ValidationError && console.log(ctx.error.issues);
 */
export class ValidationError extends EventwireError {
  readonly code = 'EVENTWIRE_VALIDATION';
  /** `hint`, when given, is a sentence appended to the message: what the payload looks like instead. */
  constructor(
    readonly topic: string,
    readonly issues: readonly { readonly message: string; readonly path?: readonly unknown[] | undefined }[],
    hint?: string,
  ) {
    super(`A message on "${topic}" does not match its schema: ${summarizeIssues(issues)}.${hint === undefined ? '' : ` ${hint}`}`);
  }
}

/**
 * A received payload is not JSON, or not an eventwire event where one was expected.
 * Never retried: dead-lettered at once.
 *
 * @example
 * error instanceof MalformedMessageError; // true for the bytes "{not json"
 */
export class MalformedMessageError extends EventwireError {
  readonly code = 'EVENTWIRE_MALFORMED_MESSAGE';
  constructor(topic: string, detail: string, options?: { cause?: unknown }) {
    super(`A message on "${topic}" is malformed: ${detail}`, options);
  }
}

/**
 * Thrown by a handler or a handler middleware for a message that no retry can fix (an order
 * that no longer exists, a declined card): it is dead-lettered at once, with reason
 * `unrecoverable` and this error's message and `code`. Subclass it to set your own `code`.
 *
 * @example
 * if (order === undefined) throw new UnrecoverableError(`order ${id} does not exist`);
 */
export class UnrecoverableError extends EventwireError {
  readonly code: string = 'EVENTWIRE_UNRECOVERABLE';
}

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
 * The retry link stopped before the retries ran out: the failure is permanent (schema,
 * malformed JSON, {@link UnrecoverableError}) or `shouldRetry` declined it. `cause` is that
 * failure; the dead-letter link records it with the attempt count.
 *
 * @example
 * if (error instanceof RetryDeclinedError) console.log(error.attempts, error.cause);
 */
export class RetryDeclinedError extends EventwireError {
  readonly code = 'EVENTWIRE_RETRY_DECLINED';
  constructor(
    readonly attempts: number,
    cause: unknown,
  ) {
    super(`The handler failed on attempt ${attempts} and is not retried: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The first issues of a failed validation, as one line. */
function summarizeIssues(issues: ValidationError['issues']): string {
  return issues
    .slice(0, 5)
    .map((issue) => {
      const path = issue.path?.map((part) => String(typeof part === 'object' && part !== null && 'key' in part ? part.key : part)).join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}
