import type { OutgoingMessage } from '../broker.js';
import type { EnvelopeFormat } from '../envelope/cloudevent-write.js';
import { InvalidArgumentError } from '../errors/index.js';
import { describe } from '../config/validate.js';

/**
 * Where an instance in outbox-only mode writes its events instead of the broker: the outbox of
 * `eventwire/outbox` is one. `stageMessages` resolves once the messages are durably stored (their
 * own transaction committed); a relay publishes them later through `getProducer().send`.
 *
 * @example
 * configureMessaging({ broker: 'kafka', outbox: createOutbox({ pool }) });
 */
export interface EventStager {
  /** Throws a typed error for a message the store cannot hold; called before the event is queued. */
  checkMessage(topic: string, message: OutgoingMessage): void;
  stageMessages(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
}

/**
 * Checks `MessagingOptions.outbox`: an object with both methods, and an instance writing
 * eventwire's envelope (the outbox table and its relay hold that one).
 *
 * @example
 * resolveStager(options.outbox, 'eventwire');
 */
export function resolveStager(outbox: unknown, envelope: EnvelopeFormat): EventStager | undefined {
  if (outbox === undefined) return undefined;
  const given = outbox as Partial<EventStager> | null;
  if (typeof outbox !== 'object' || given === null || typeof given.stageMessages !== 'function' || typeof given.checkMessage !== 'function') {
    throw new InvalidArgumentError('outbox', `Expected \`outbox\` to be an outbox from createOutbox() (eventwire/outbox), got ${describe(outbox)}.`);
  }
  if (envelope !== 'eventwire') {
    throw new InvalidArgumentError('outbox', "`outbox` stores eventwire's envelope: drop `envelope: 'cloudevents'` (or MESSAGING_ENVELOPE), or publish without the outbox.");
  }
  return outbox as EventStager;
}
