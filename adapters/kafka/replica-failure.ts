import { NotEnoughReplicasError } from '../../lib/errors/index.js';

/** kafkajs's error types for a produce that fewer than `min.insync.replicas` replicas could take. */
const REPLICA_SHORTAGES: ReadonlySet<string> = new Set(['NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND']);

/**
 * A {@link NotEnoughReplicasError} (cause: `error`) when kafkajs's `error`, or an error it wraps
 * (`cause` of a retries-exceeded error, `errors` of an aggregate), is a replica shortage;
 * otherwise `error` unchanged. Read from kafkajs's `type` field, never from message text.
 *
 * @example
 * await producer.sendBatch(batch).catch((error) => { throw replicaFailure(topics, error); });
 */
export function replicaFailure(topics: readonly string[], error: unknown): unknown {
  const type = shortage(error, 0);
  if (type === undefined) return error;
  const named = topics.map((topic) => `"${topic}"`).join(', ');
  return new NotEnoughReplicasError(
    `Kafka refused the publish to ${named} with ${type}: fewer replicas of the partition are in sync than its min.insync.replicas (brokers are down or lagging), so the message was not stored as the topic requires.`,
    { cause: error },
  );
}

/** The first replica-shortage type found in `error` and what it wraps, a few levels deep. */
function shortage(error: unknown, depth: number): string | undefined {
  if (typeof error !== 'object' || error === null || depth > 4) return undefined;
  const { type, cause, errors } = error as { type?: unknown; cause?: unknown; errors?: unknown };
  if (typeof type === 'string' && REPLICA_SHORTAGES.has(type)) return type;
  const wrapped = [cause, ...(Array.isArray(errors) ? (errors as unknown[]) : [])];
  for (const inner of wrapped) {
    const found = shortage(inner, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
