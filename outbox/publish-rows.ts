import { EventwireError, InvalidArgumentError, MalformedMessageError, MessageTooLargeError, SerializationError } from '../lib/errors/index.js';
import type { Producer } from '../lib/publishing/producer.js';
import { redactSecrets } from '../lib/config/redact.js';
import { rowMessage, type OutboxRow } from './row.js';

/**
 * What became of a batch's rows: acknowledged by the broker, never publishable (moved aside
 * with the reason), or failed for now (left in place, tried again later). Rows of a key after
 * one that failed for now were not tried, and are in none of the lists.
 *
 * @example
 * const outcome: PublishOutcome = { published: ['1'], poisoned: [], failed: [] };
 */
export interface PublishOutcome {
  readonly published: string[];
  readonly poisoned: RowFailure[];
  readonly failed: RowFailure[];
}

/** A row that was not published, and why (with secrets removed). */
export interface RowFailure {
  readonly seq: string;
  readonly reason: string;
  readonly code: string | undefined;
}

/**
 * Publishes `rows` (in `seq` order) through `producer`, which waits for the broker's
 * acknowledgement. Rows of one key go one after the other, and a key stops at its first row
 * that fails for now, so that no later row of it overtakes; rows of different keys, and rows
 * without a key, go at the same time. Once `signal` aborts, no further row starts.
 *
 * @example
 * const outcome = await publishRows(rows, messaging.getProducer(), controller.signal);
 */
export async function publishRows(rows: readonly OutboxRow[], producer: Producer, signal: AbortSignal): Promise<PublishOutcome> {
  const outcome: PublishOutcome = { published: [], poisoned: [], failed: [] };
  await Promise.all(lanes(rows).map((lane) => publishLane(lane, producer, signal, outcome)));
  return outcome;
}

async function publishLane(lane: readonly OutboxRow[], producer: Producer, signal: AbortSignal, outcome: PublishOutcome): Promise<void> {
  for (const row of lane) {
    if (signal.aborted) return;
    try {
      const message = rowMessage(row);
      await producer.send(message.topic, message.event, message.options);
      outcome.published.push(row.seq);
    } catch (error) {
      const failure: RowFailure = { seq: row.seq, reason: describeFailure(error), code: error instanceof EventwireError ? error.code : undefined };
      if (!isPoison(error)) {
        outcome.failed.push(failure);
        return;
      }
      outcome.poisoned.push(failure);
    }
  }
}

/** The rows grouped by key in `seq` order; each row without a key is a group of its own. */
function lanes(rows: readonly OutboxRow[]): OutboxRow[][] {
  const byKey = new Map<string, OutboxRow[]>();
  const all: OutboxRow[][] = [];
  for (const row of rows) {
    if (row.key === null) {
      all.push([row]);
      continue;
    }
    let lane = byKey.get(row.key);
    if (lane === undefined) {
      byKey.set(row.key, (lane = []));
      all.push(lane);
    }
    lane.push(row);
  }
  return all;
}

/**
 * Failures no retry can fix: the row itself is wrong (not an envelope, a bad topic, key or
 * header) or too large for the broker's limit. Everything else (the broker unreachable, a
 * timeout, the instance closed) may pass later.
 */
function isPoison(error: unknown): boolean {
  return error instanceof MessageTooLargeError
    || error instanceof SerializationError
    || error instanceof MalformedMessageError
    || error instanceof InvalidArgumentError;
}

function describeFailure(error: unknown): string {
  if (error instanceof EventwireError) return error.message;
  return redactSecrets(error instanceof Error ? error.message : String(error));
}
