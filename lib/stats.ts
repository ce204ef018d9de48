/**
 * Counters an instance keeps, read with `messaging.stats()`. Nothing is lost silently: each
 * message that was not handled shows up in one of them.
 *
 * @example
 * const { deadLettered, eventsDropped } = messaging.stats();
 */
export interface MessagingStats {
  /** Messages the broker acknowledged (sends, events, dead letters). */
  published: number;
  /** `send()` calls and background publish attempts the broker refused or timed out. */
  publishFailures: number;
  /** Fire-and-forget events waiting in the buffer now. */
  eventsBuffered: number;
  /** Fire-and-forget events refused because the buffer was full, or still unsent at close. */
  eventsDropped: number;
  /** Messages whose handler succeeded. */
  handled: number;
  /** Failed handler attempts that were retried. */
  retried: number;
  /** Messages sent to a dead-letter topic. */
  deadLettered: number;
  /** Messages that failed with `deadLetterTopic: false`: logged, then dropped. */
  discarded: number;
  /** Events with no handler in a consumer: acknowledged and skipped. */
  skipped: number;
  /** Parts of delivered messages the transport could not read and left out (logged). */
  unreadableParts: number;
  /**
   * Messages the broker confirmed but routed to no queue, so that no group receives them
   * (RabbitMQ, a topic no group has subscribed to yet); logged once per topic. Also in `published`.
   */
  unroutable: number;
}

/**
 * A zeroed set of counters.
 *
 * @example
 * const stats = createStats(); stats.handled += 1;
 */
export function createStats(): MessagingStats {
  return {
    published: 0,
    publishFailures: 0,
    eventsBuffered: 0,
    eventsDropped: 0,
    handled: 0,
    retried: 0,
    deadLettered: 0,
    discarded: 0,
    skipped: 0,
    unreadableParts: 0,
    unroutable: 0,
  };
}
