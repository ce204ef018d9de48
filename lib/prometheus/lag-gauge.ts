import type { Gauge } from 'prom-client';
import type { LagRead } from '../lag.js';

type PromClient = typeof import('prom-client');

/** The lag gauge's name after the prefix. */
export const lagMetricName = 'consumer_lag';

/**
 * The labelled gauge `<prefix>_consumer_lag{topic,group[,partition]}`: each consumer group's
 * lag per topic (per partition on Kafka), asked of the broker at every scrape. Series of a
 * group or partition no longer reported disappear; a failed read leaves the gauge empty for
 * that scrape (`read` never rejects, see quietLag).
 *
 * @example
 * registry.registerMetric(lagGauge(client, 'eventwire_consumer_lag', quietLag(() => messaging.lag(), logger)));
 */
export function lagGauge(client: PromClient, name: string, read: LagRead): Gauge {
  return new client.Gauge({
    name,
    help: 'Messages a consumer group has still to handle, per topic (and Kafka partition), read from the broker at scrape time (messaging.lag())',
    labelNames: ['topic', 'group', 'partition'],
    registers: [],
    async collect(this: Gauge) {
      const lags = await read();
      this.reset();
      for (const lag of lags) {
        const labels = lag.partition === undefined ? { topic: lag.topic, group: lag.groupId } : { topic: lag.topic, group: lag.groupId, partition: lag.partition };
        this.set(labels, lag.messages);
      }
    },
  });
}
