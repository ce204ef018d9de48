import type { Attributes, BatchObservableResult, Meter, MeterProvider, ObservableResult } from '@opentelemetry/api';
import type { LagRead } from '../lag.js';
import { attempt, type Middleware } from '../handling/chain.js';
import type { MessagingStats } from '../stats.js';
import { attr, errorType } from './attributes.js';
import { createInstruments, type MetricInstruments } from './metric-instruments.js';
import { failedAttributes, MetricCounts } from './metric-counts.js';
import { eventwireMeter, type OtelApi } from './otel-api.js';
import type { SendTrace, Telemetry, TelemetryTarget } from './telemetry.js';

/** The instruments of the meter provider registered now, what they count, and how to let go of them. */
interface Bound {
  readonly provider: MeterProvider;
  readonly instruments: MetricInstruments | undefined;
  readonly counts: MetricCounts;
  readonly unobserve: () => void;
}

/** The instruments and counts to record a message with. */
type Recording = Bound & { readonly instruments: MetricInstruments };

/**
 * Metrics through the OpenTelemetry metrics API. The API hands out no proxy for meters, so the
 * instruments follow the global provider: made when one is registered (also after this
 * instance was created, at its next message), dropped when it changes. The counters
 * `messaging.stats()` already keeps (buffered, dropped, retries) are observed from it, not
 * counted twice; the others are counted in {@link MetricCounts} and observed from there, and the
 * histograms get attribute objects made once per series, since the SDK hashes every
 * measurement's attributes. Consumer lag is asked of the broker at each collection (`lag`, which never
 * rejects).
 */
export class MessagingMetrics implements Pick<Telemetry, 'retrying' | 'deadLettered' | 'eventHandled'> {
  readonly #api: OtelApi;
  readonly #system: string;
  readonly #stats: MessagingStats;
  readonly #lag: LagRead;
  #bound: Bound | undefined;

  constructor(api: OtelApi, target: TelemetryTarget, stats: MessagingStats, lag: LagRead) {
    this.#api = api;
    this.#system = target.system;
    this.#stats = stats;
    this.#lag = lag;
    this.#current();
  }

  /** Whether a meter provider other than the no-op one is registered now. */
  registered(): boolean {
    return this.#current() !== undefined;
  }

  /** Counts and times one publish; `undefined` without a meter provider. */
  send(topic: string, count: number): SendTrace | undefined {
    const bound = this.#current();
    if (bound === undefined) return undefined;
    const start = performance.now();
    return (error) => {
      const sent = bound.counts.sent(topic, error === undefined ? '' : errorType(error));
      sent.count += count;
      bound.instruments.operationDuration.record((performance.now() - start) / 1_000, sent.attributes);
    };
  }

  /** Placed inside the dead-letter link: resolving is an acknowledged delivery; a rejection is counted by the dead-letter hook. */
  readonly link = (): Middleware => (next) => (message, ctx) => {
    const bound = this.#current();
    if (bound === undefined) return attempt(next, message, ctx);
    const series = bound.counts.delivery(message.topic, ctx.groupId);
    series.consumed.count += 1;
    const start = performance.now();
    return attempt(next, message, ctx).then(
      () => {
        bound.instruments.processDuration.record((performance.now() - start) / 1_000, series.handled);
        series.acked.count += 1;
      },
      (error: unknown) => {
        bound.instruments.processDuration.record((performance.now() - start) / 1_000, failedAttributes(series, errorType(error)));
        throw error;
      },
    );
  };

  readonly retrying = (): void => {
    const bound = this.#current();
    if (bound !== undefined) bound.counts.outcome('retry').count += 1;
  };

  readonly deadLettered = (reason: string, topic: string | undefined): void => {
    const bound = this.#current();
    if (bound === undefined) return;
    const outcome = topic === undefined ? 'discarded' : reason === 'validation' || reason === 'malformed' ? 'invalid' : 'dead-letter';
    bound.counts.deadLetter(reason, outcome).count += 1;
    bound.counts.outcome(outcome).count += 1;
  };

  readonly eventHandled = (topic: string, groupId: string, timestamp: string): void => {
    const bound = this.#current();
    const at = bound === undefined ? Number.NaN : Date.parse(timestamp);
    if (bound === undefined || Number.isNaN(at)) return;
    bound.instruments.latency.record(Math.max(0, Date.now() - at) / 1_000, bound.counts.delivery(topic, groupId).latency);
  };

  /** Stops observing the stats: the instance closed. */
  close(): void {
    this.#bound?.unobserve();
    this.#bound = undefined;
  }

  /** What to record with, for the meter provider registered now; `undefined` when it is the no-op one. */
  #current(): Recording | undefined {
    const provider = this.#api.metrics.getMeterProvider();
    if (this.#bound?.provider !== provider) this.#bound = this.#rebind(provider);
    return this.#bound.instruments === undefined ? undefined : (this.#bound as Recording);
  }

  #rebind(provider: MeterProvider): Bound {
    this.#bound?.unobserve();
    const meter = eventwireMeter(provider);
    if (meter === this.#api.createNoopMeter()) return { provider, instruments: undefined, counts: new MetricCounts(this.#system), unobserve: () => {} };
    return this.#bind(provider, meter);
  }

  #bind(provider: MeterProvider, meter: Meter): Bound {
    const instruments = createInstruments(meter);
    const counts = new MetricCounts(this.#system);
    const { buffered, dropped, retries, sent, consumed, outcomes, deadLetters } = instruments;
    const observed = [buffered, dropped, retries, sent, consumed, outcomes, deadLetters];
    const attributes = Object.freeze({ [attr.system]: this.#system });
    const observe = (result: BatchObservableResult): void => {
      result.observe(buffered, this.#stats.eventsBuffered, attributes);
      result.observe(dropped, this.#stats.eventsDropped, attributes);
      result.observe(retries, this.#stats.retried, attributes);
      counts.observe(result, instruments);
    };
    meter.addBatchObservableCallback(observe, observed);
    const observeLag = async (result: ObservableResult): Promise<void> => {
      for (const lag of await this.#lag()) {
        const point: Attributes = { [attr.system]: this.#system, [attr.destination]: lag.topic, [attr.group]: lag.groupId };
        if (lag.partition !== undefined) point[attr.partition] = String(lag.partition);
        result.observe(lag.messages, point);
      }
    };
    instruments.lag.addCallback(observeLag);
    return {
      provider,
      instruments,
      counts,
      unobserve: () => {
        meter.removeBatchObservableCallback(observe, observed);
        instruments.lag.removeCallback(observeLag);
      },
    };
  }
}
