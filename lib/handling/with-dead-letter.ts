import type { IncomingMessage, OutgoingMessage } from '../broker.js';
import { eventIdHeader } from '../envelope/event.js';
import { DeliveryAbandonedError, MalformedMessageError, RetriesExhaustedError, RetryDeclinedError, UnrecoverableError, ValidationError } from '../errors/index.js';
import { attempt, type Middleware } from './chain.js';

import type { MessagingStats } from '../stats.js';
import type { Telemetry } from '../telemetry/telemetry.js';

/** Headers a dead letter carries beside the original ones. */
export const deadLetterHeaders = {
  error: 'eventwire-error',
  errorCode: 'eventwire-error-code',
  reason: 'eventwire-reason',
  attempts: 'eventwire-attempts',
  topic: 'eventwire-original-topic',
  group: 'eventwire-group',
  at: 'eventwire-dead-lettered-at',
} as const;

/**
 * Options of {@link withDeadLetter}.
 *
 * @example
 * withDeadLetter({ topicFor: (t) => `${t}.dlq`, publish, stats });
 */
export interface DeadLetterOptions {
  /** The dead-letter topic for a source topic; `false` logs and drops the message instead. */
  readonly topicFor: ((topic: string) => string) | false;
  publish(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  readonly stats: MessagingStats;
  /** Told of each message given up on (recorded on the delivery's `process` span). */
  readonly telemetry?: Pick<Telemetry, 'deadLettered'>;
}

/**
 * Catches what the chain below could not handle and publishes the original bytes, key and
 * headers to the dead-letter topic with the error, the reason, the attempt count, the original
 * topic and the group in headers; then the message is acknowledged. If the dead letter cannot be
 * published the error propagates and the message stays unacknowledged (redelivered later), so
 * nothing is lost. An abandoned delivery (consumer stopping mid-retry) is passed through.
 *
 * @example
 * const handler = withDeadLetter({ topicFor: (t) => `${t}.dlq`, publish, stats })(withRetry(retry)(work));
 */
export function withDeadLetter(options: DeadLetterOptions): Middleware {
  return (next) => (message, ctx) => attempt(next, message, ctx).catch(async (error: unknown) => {
    if (error instanceof DeliveryAbandonedError) throw error;
    const details = describeFailure(error);
    if (options.topicFor === false) {
      options.stats.discarded += 1;
      options.telemetry?.deadLettered(details.reason, undefined, details.attempts, details.cause);
      ctx.logger.error('message discarded after failure (deadLetterTopic is false)', {
        topic: message.topic, groupId: ctx.groupId, reason: details.reason, attempts: details.attempts, error: details.cause,
      });
      return;
    }
    const topic = options.topicFor(message.topic);
    await options.publish(topic, [deadLetter(message, ctx.groupId, details)]);
    options.stats.deadLettered += 1;
    options.telemetry?.deadLettered(details.reason, topic, details.attempts, details.cause);
    ctx.logger.error('message dead-lettered', {
      topic: message.topic, deadLetterTopic: topic, groupId: ctx.groupId, reason: details.reason, attempts: details.attempts, error: details.cause,
    });
  });
}

interface Failure {
  readonly reason: 'validation' | 'malformed' | 'unrecoverable' | 'handler-error';
  readonly attempts: number;
  readonly cause: unknown;
}

function describeFailure(error: unknown): Failure {
  // The retry link reports how many attempts ran; anything else failed on its only attempt.
  const counted = error instanceof RetriesExhaustedError || error instanceof RetryDeclinedError;
  const cause = counted ? error.cause : error;
  return { reason: reasonFor(cause), attempts: counted ? error.attempts : 1, cause };
}

function reasonFor(cause: unknown): Failure['reason'] {
  if (cause instanceof ValidationError) return 'validation';
  if (cause instanceof MalformedMessageError) return 'malformed';
  if (cause instanceof UnrecoverableError) return 'unrecoverable';
  return 'handler-error';
}

function deadLetter(message: IncomingMessage, groupId: string, failure: Failure): OutgoingMessage {
  const { cause } = failure;
  const text = cause instanceof Error ? cause.message : String(cause);
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? String(cause.code) : cause instanceof Error ? cause.name : 'Error';
  return {
    // A dead letter keeps its event's id, so that a broker's own message id stays the event's.
    id: message.headers[eventIdHeader],
    key: message.key,
    value: message.value,
    // The adapter that read the message writes its own bytes again from this (see TransportRecord).
    record: message.record,
    headers: {
      ...message.headers,
      [deadLetterHeaders.error]: text.slice(0, 1_000),
      [deadLetterHeaders.errorCode]: code,
      [deadLetterHeaders.reason]: failure.reason,
      [deadLetterHeaders.attempts]: String(failure.attempts),
      [deadLetterHeaders.topic]: message.topic,
      [deadLetterHeaders.group]: groupId,
      [deadLetterHeaders.at]: new Date().toISOString(),
    },
  };
}
