/** What a topic's name ends with when it holds another topic's dead letters by default. */
export const DEAD_LETTER_SUFFIX = '.dlq';

/**
 * The default dead-letter topic of `topic`: `<topic>.dlq`.
 *
 * @example
 * defaultDeadLetterTopic('orders'); // 'orders.dlq'
 */
export function defaultDeadLetterTopic(topic: string): string {
  return `${topic}${DEAD_LETTER_SUFFIX}`;
}

/**
 * True for a topic named as dead letters are (`<topic>.dlq`), so that a transport which keeps
 * dead letters apart (RabbitMQ's dead-letter exchange) routes, keeps and subscribes such a topic
 * there, whichever process publishes or reads it.
 *
 * @example
 * isDeadLetterTopic('orders.dlq'); // true
 */
export function isDeadLetterTopic(topic: string): boolean {
  return topic.endsWith(DEAD_LETTER_SUFFIX) && topic.length > DEAD_LETTER_SUFFIX.length;
}

/**
 * Where a consumer's dead letters go, from its `deadLetterTopic` option: `<topic>.dlq` when
 * unset, one fixed topic, or nowhere (`false`).
 *
 * @example
 * deadLetterTopics(undefined)?.('orders'); // 'orders.dlq'
 */
export function deadLetterTopics(option: string | false | undefined): ((topic: string) => string) | false {
  if (option === undefined) return defaultDeadLetterTopic;
  if (typeof option === 'string') return () => option;
  return option;
}
