import type { Logger } from '../config/logger.js';
import type { MessagingHealth } from '../health.js';
import type { LagRead } from '../lag.js';
import type { MessagingStats } from '../stats.js';

/** What a metric reads at scrape time: the instance's counters, its health report and its consumers' lag. */
export interface MetricSources {
  readonly stats: () => Readonly<MessagingStats>;
  readonly health: () => MessagingHealth;
  readonly lag: LagRead;
  /** Where a lag that cannot be read is reported. */
  readonly logger: Logger;
}

/**
 * One Prometheus metric eventwire registers: its name after the prefix, its type, its help text,
 * and how to read its value from an instance.
 *
 * @example
 * const { name, type, read } = prometheusMetrics[0]; // 'messages_published_total', 'counter'
 */
export interface PrometheusMetric {
  /** The name after `<prefix>_`, per Prometheus conventions (snake_case, counters end in `_total`). */
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly read: (sources: MetricSources) => number;
}

const counter = (name: string, key: keyof MessagingStats, help: string): PrometheusMetric => ({
  name,
  type: 'counter',
  help: `${help} (stats().${key})`,
  read: (sources) => sources.stats()[key],
});

const gauge = (name: string, help: string, read: (health: MessagingHealth) => number): PrometheusMetric => ({
  name,
  type: 'gauge',
  help,
  read: (sources) => read(sources.health()),
});

const flag = (value: boolean): number => (value ? 1 : 0);

/**
 * Every metric of `registerPrometheusMetrics`, in the order docs/observability.md lists them. The
 * counters are `messaging.stats()`'s, the gauges come from `messaging.health()`; none has labels,
 * so none can grow in cardinality. The labelled consumer lag gauge is registered beside them
 * (lag-gauge.ts).
 */
export const prometheusMetrics: readonly PrometheusMetric[] = [
  counter('messages_published_total', 'published', 'Messages the broker acknowledged: sends, events and dead letters'),
  counter('publish_failures_total', 'publishFailures', 'Publishes the broker refused or that timed out'),
  counter('events_dropped_total', 'eventsDropped', 'Fire-and-forget events refused by the full buffer or still unsent at close'),
  counter('messages_handled_total', 'handled', 'Messages whose handler succeeded'),
  counter('retries_total', 'retried', 'Failed handler attempts that were retried'),
  counter('dead_letters_total', 'deadLettered', 'Messages sent to a dead-letter topic'),
  counter('messages_discarded_total', 'discarded', 'Messages given up on with deadLetterTopic: false, logged and dropped'),
  counter('events_skipped_total', 'skipped', 'Events with no handler in a consumer, acknowledged and skipped'),
  counter('unreadable_parts_total', 'unreadableParts', 'Parts of delivered messages the transport could not read'),
  counter('unroutable_messages_total', 'unroutable', 'Messages the broker confirmed but routed to no queue (RabbitMQ, no group subscribed yet)'),
  gauge('events_buffered', 'Fire-and-forget events waiting in the buffer', (health) => health.eventsBuffered),
  gauge('consumers_running', 'Consumers running now', (health) => health.consumers.filter((consumer) => consumer.running).length),
  gauge('messages_in_flight', 'Messages whose handling started and has not ended', (health) =>
    health.consumers.reduce((sum, consumer) => sum + consumer.inFlight, 0),
  ),
  gauge('ready', '1 while the instance takes work (health().ready), else 0', (health) => flag(health.ready)),
  gauge('live', '0 only when the adapter gave up on its connection (health().live)', (health) => flag(health.live)),
  gauge('broker_connected', '1 while the broker connection is up (health().broker.state is connected), else 0', (health) =>
    flag(health.broker.state === 'connected'),
  ),
];
