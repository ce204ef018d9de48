import { isDeadLetterTopic } from '../../lib/consuming/dead-letter-topic.js';

/**
 * The two durable topic exchanges of a RabbitMQ broker: `main` for every topic, `deadLetters` for
 * the dead-letter topics (`<topic>.dlq`), so that a wildcard binding on the main exchange
 * (`orders.#`) never receives a dead letter.
 */
export interface Exchanges {
  readonly main: string;
  readonly deadLetters: string;
}

/**
 * The exchange `topic` is published to, kept on and subscribed from: the dead-letter exchange
 * for a topic named as dead letters are (`<topic>.dlq`), else the main one.
 *
 * @example
 * exchangeFor({ main: 'eventwire', deadLetters: 'eventwire.dlq' }, 'orders.dlq'); // 'eventwire.dlq'
 */
export function exchangeFor(exchanges: Exchanges, topic: string): string {
  return isDeadLetterTopic(topic) ? exchanges.deadLetters : exchanges.main;
}
