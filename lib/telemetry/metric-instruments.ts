import type { Histogram, Meter, ObservableCounter, ObservableGauge } from '@opentelemetry/api';

/** The messaging semantic conventions' buckets for durations in seconds. */
export const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

/** Metric names: the semantic conventions' where they exist, eventwire's own under `eventwire.`. */
export const metricNames = {
  sent: 'messaging.client.sent.messages',
  consumed: 'messaging.client.consumed.messages',
  operationDuration: 'messaging.client.operation.duration',
  processDuration: 'messaging.process.duration',
  buffered: 'eventwire.events.buffered',
  dropped: 'eventwire.events.dropped',
  retries: 'eventwire.retries',
  deadLetters: 'eventwire.dead_letters',
  outcomes: 'eventwire.handler.outcomes',
  latency: 'eventwire.event.latency',
  // The messaging semantic conventions define no consumer lag metric: this one is eventwire's.
  lag: 'eventwire.consumer.lag',
} as const;

/** The instruments of one instance on one meter. */
export interface MetricInstruments {
  /** The counters are observable: eventwire counts, and reports the totals at each collection (metric-counts.ts). */
  readonly sent: ObservableCounter;
  readonly consumed: ObservableCounter;
  readonly operationDuration: Histogram;
  readonly processDuration: Histogram;
  readonly buffered: ObservableGauge;
  readonly dropped: ObservableCounter;
  readonly retries: ObservableCounter;
  readonly deadLetters: ObservableCounter;
  readonly outcomes: ObservableCounter;
  readonly latency: Histogram;
  readonly lag: ObservableGauge;
}

/**
 * Creates every instrument on `meter`.
 *
 * @example
 * const instruments = createInstruments(metrics.getMeter('eventwire'));
 */
export function createInstruments(meter: Meter): MetricInstruments {
  const seconds = { unit: 's', advice: { explicitBucketBoundaries: durationBuckets } };
  return {
    sent: meter.createObservableCounter(metricNames.sent, { unit: '{message}', description: 'Messages the broker acknowledged, or refused (with error.type).' }),
    consumed: meter.createObservableCounter(metricNames.consumed, { unit: '{message}', description: 'Deliveries handed to the handling chain.' }),
    operationDuration: meter.createHistogram(metricNames.operationDuration, { ...seconds, description: 'Duration of a publish, until the broker acknowledged.' }),
    processDuration: meter.createHistogram(metricNames.processDuration, { ...seconds, description: 'Duration of handling one delivery, retries included.' }),
    buffered: meter.createObservableGauge(metricNames.buffered, { unit: '{event}', description: 'Fire-and-forget events waiting in the buffer.' }),
    dropped: meter.createObservableCounter(metricNames.dropped, { unit: '{event}', description: 'Fire-and-forget events refused or still unsent at close.' }),
    retries: meter.createObservableCounter(metricNames.retries, { unit: '{attempt}', description: 'Failed handler attempts that were retried.' }),
    deadLetters: meter.createObservableCounter(metricNames.deadLetters, { unit: '{message}', description: 'Messages given up on, by reason (dead-lettered or discarded).' }),
    outcomes: meter.createObservableCounter(metricNames.outcomes, { unit: '{outcome}', description: 'Handler outcomes: ack, retry, dead-letter, invalid, discarded.' }),
    latency: meter.createHistogram(metricNames.latency, { ...seconds, description: "From the event's timestamp to its handler's success." }),
    lag: meter.createObservableGauge(metricNames.lag, { unit: '{message}', description: "Messages a consumer group has still to handle, per topic (and Kafka partition), read from the broker at collection time." }),
  };
}
