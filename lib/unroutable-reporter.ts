import type { Broker } from './broker.js';

/**
 * Optional ability: tell the core about each message the broker confirmed but could route to no
 * queue (RabbitMQ returns such a `mandatory` message: no group has subscribed to its topic yet).
 * `publish` still resolves for it, as on the brokers that keep it in a log no group reads; the
 * core logs a warning once per topic and counts it in `stats().unroutable`.
 *
 * @example
 * if (reportsUnroutable(broker)) broker.onUnroutable((topic) => console.warn(`nobody reads ${topic}`));
 */
export interface UnroutableReporter {
  /** Calls `listener` with the topic of every message returned from now on. */
  onUnroutable(listener: (topic: string) => void): void;
}

/**
 * Whether a broker implements {@link UnroutableReporter}.
 *
 * @example
 * reportsUnroutable(createMemoryBroker()); // false
 */
export function reportsUnroutable(broker: Broker): broker is Broker & UnroutableReporter {
  return typeof (broker as Partial<UnroutableReporter>).onUnroutable === 'function';
}
