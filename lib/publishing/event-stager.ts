import type { OutgoingMessage } from '../broker.js';

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
