import type { Attributes, BatchObservableResult } from '@opentelemetry/api';
import { attr } from './attributes.js';
import type { MetricInstruments } from './metric-instruments.js';

/** One attribute set of a counter and its total so far. */
export interface Counted {
  readonly attributes: Attributes;
  count: number;
}

/**
 * What one (topic, group) of a consumer records, its attribute sets made once: the SDK hashes the
 * attributes of every measurement, so none is built per message.
 */
export interface DeliverySeries {
  /** System, destination, group, operation name: `consumed` and a successful `process.duration`. */
  readonly handled: Attributes;
  /** System, destination, group: `eventwire.event.latency`. */
  readonly latency: Attributes;
  readonly consumed: Counted;
  /** `handled` plus outcome `ack`. */
  readonly acked: Counted;
  /** `handled` plus `error.type`, by error type: a failed `process.duration`. */
  readonly failed: Map<string, Attributes>;
}

/**
 * (topic, group) and (topic, error) series kept at most, as the SDK's default cardinality limit:
 * later ones are counted together under the SDK's overflow attribute.
 */
const seriesLimit = 2000;
const overflow: Attributes = Object.freeze({ 'otel.metric.overflow': true });

/**
 * The counters of one instance on one meter provider, counted here and reported to their
 * observable counters at each collection: a delivery or publish then costs a few additions, not a
 * measurement the SDK hashes. Totals are cumulative from the binding on, as a counter's are.
 *
 * @example
 * const counts = new MetricCounts('kafka'); counts.delivery('orders', 'billing').consumed.count += 1;
 */
export class MetricCounts {
  readonly #system: string;
  readonly #deliveries = new Map<string, Map<string, DeliverySeries>>();
  /** By topic, then `error.type` (`''`: acknowledged). */
  readonly #sent = new Map<string, Map<string, Counted>>();
  /** Outcomes without a destination (retry, dead-letter, invalid, discarded), by outcome: a few. */
  readonly #outcomes = new Map<string, Counted>();
  /** By reason, then outcome: a few. */
  readonly #deadLetters = new Map<string, Map<string, Counted>>();
  /** What the series past {@link seriesLimit} count into. */
  readonly #spilled: { readonly delivery: DeliverySeries; readonly sent: Counted };
  #series = 0;

  constructor(system: string) {
    this.#system = system;
    const consumed = { attributes: overflow, count: 0 };
    const acked = { attributes: overflow, count: 0 };
    this.#spilled = { delivery: { handled: overflow, latency: overflow, consumed, acked, failed: new Map() }, sent: { attributes: overflow, count: 0 } };
  }

  /** The series of deliveries of `topic` to `group`. */
  delivery(topic: string, group: string): DeliverySeries {
    return this.#deliveries.get(topic)?.get(group) ?? this.#newDelivery(topic, group);
  }

  /** The series of publishes to `topic`, failed with `errorType` or (`''`) acknowledged. */
  sent(topic: string, errorType: string): Counted {
    return this.#sent.get(topic)?.get(errorType) ?? this.#newSent(topic, errorType);
  }

  /** The series of an outcome that names no destination. */
  outcome(outcome: string): Counted {
    let counted = this.#outcomes.get(outcome);
    if (counted === undefined) this.#outcomes.set(outcome, (counted = counter({ [attr.system]: this.#system, [attr.outcome]: outcome })));
    return counted;
  }

  /** The series of dead letters by reason and outcome. */
  deadLetter(reason: string, outcome: string): Counted {
    const known = this.#deadLetters.get(reason)?.get(outcome);
    if (known !== undefined) return known;
    return place(this.#deadLetters, reason, outcome, counter({ [attr.system]: this.#system, [attr.deadLetterReason]: reason, [attr.outcome]: outcome }));
  }

  /** Reports every total that is not 0 to its observable counter. */
  observe(result: BatchObservableResult, instruments: MetricInstruments): void {
    const { delivery, sent } = this.#spilled;
    for (const byGroup of this.#deliveries.values()) for (const series of byGroup.values()) reportDelivery(result, instruments, series);
    reportDelivery(result, instruments, delivery);
    for (const byError of this.#sent.values()) for (const counted of byError.values()) report(result, instruments.sent, counted);
    report(result, instruments.sent, sent);
    for (const counted of this.#outcomes.values()) report(result, instruments.outcomes, counted);
    for (const byOutcome of this.#deadLetters.values()) for (const counted of byOutcome.values()) report(result, instruments.deadLetters, counted);
  }

  #newDelivery(topic: string, group: string): DeliverySeries {
    if (this.#series >= seriesLimit) return this.#spilled.delivery;
    this.#series += 1;
    const latency = Object.freeze({ [attr.system]: this.#system, [attr.destination]: topic, [attr.group]: group });
    const handled = Object.freeze({ ...latency, [attr.operationName]: 'process' });
    const series: DeliverySeries = { handled, latency, consumed: { attributes: handled, count: 0 }, acked: counter({ ...handled, [attr.outcome]: 'ack' }), failed: new Map() };
    return place(this.#deliveries, topic, group, series);
  }

  #newSent(topic: string, errorType: string): Counted {
    if (this.#series >= seriesLimit) return this.#spilled.sent;
    this.#series += 1;
    const attributes: Attributes = { [attr.system]: this.#system, [attr.destination]: topic, [attr.operationName]: 'send', [attr.operationType]: 'send' };
    if (errorType !== '') attributes[attr.errorType] = errorType;
    return place(this.#sent, topic, errorType, counter(attributes));
  }
}

/**
 * The failed `process.duration` attributes of `series` for `errorType`, made once.
 *
 * @example
 * histogram.record(seconds, failedAttributes(series, 'EVENTWIRE_RETRIES_EXHAUSTED'));
 */
export function failedAttributes(series: DeliverySeries, errorType: string): Attributes {
  let attributes = series.failed.get(errorType);
  if (attributes === undefined) {
    attributes = series.handled === overflow ? overflow : Object.freeze({ ...series.handled, [attr.errorType]: errorType });
    series.failed.set(errorType, attributes);
  }
  return attributes;
}

function counter(attributes: Attributes): Counted {
  return { attributes: Object.freeze(attributes), count: 0 };
}

function place<T>(map: Map<string, Map<string, T>>, first: string, second: string, value: T): T {
  let inner = map.get(first);
  if (inner === undefined) map.set(first, (inner = new Map()));
  inner.set(second, value);
  return value;
}

function reportDelivery(result: BatchObservableResult, instruments: MetricInstruments, series: DeliverySeries): void {
  report(result, instruments.consumed, series.consumed);
  report(result, instruments.outcomes, series.acked);
}

function report(result: BatchObservableResult, instrument: MetricInstruments['sent'], counted: Counted): void {
  if (counted.count > 0) result.observe(instrument, counted.count, counted.attributes);
}
