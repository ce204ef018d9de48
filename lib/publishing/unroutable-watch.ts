import { reportsUnroutable, type Broker } from '../broker.js';
import type { Logger } from '../config/logger.js';
import type { MessagingStats } from '../stats.js';

/**
 * Counts each message `broker` reports as unroutable in `stats.unroutable` and logs a warning the
 * first time each topic has one: a topic nobody subscribed to is normal before the first consumer
 * group starts, so one line per topic says it without flooding the log. A broker without the
 * ability ({@link reportsUnroutable}) is left alone.
 *
 * @example
 * watchUnroutable(broker, stats, logger);
 */
export function watchUnroutable(broker: Broker, stats: MessagingStats, logger: Logger): void {
  if (!reportsUnroutable(broker)) return;
  const warned = new Set<string>();
  broker.onUnroutable((topic) => {
    stats.unroutable += 1;
    if (warned.has(topic)) return;
    warned.add(topic);
    logger.warn(
      `The ${broker.name} broker dropped a message to "${topic}": no queue is bound to the topic, so no consumer group receives it. ` +
        'Start a consumer of the topic once before publishing (a group receives what is published after it first subscribed). ' +
        'Further drops on this topic are counted in stats().unroutable without a log line.',
      { topic },
    );
  });
}
