import type { Attributes, Meter, MeterProvider, ObservableResult } from '@opentelemetry/api';
import type { LagRead } from '../lag.js';
import { attempt, type Middleware } from '../handling/chain.js';
import type { MessagingStats } from '../stats.js';
import { attr, errorType } from './attributes.js';
import { createInstruments, type MetricInstruments } from './metric-instruments.js';
import type { OtelApi } from './otel-api.js';
import type { SendTrace, Telemetry, TelemetryTarget } from './telemetry.js';

/** The instruments of the meter provider registered now, and how to let go of them. */
interface Bound {
  readonly provider: MeterProvider;
  readonly instruments: MetricInstruments | undefined;
  readonly unobserve: () => void;
}

/**
 * Metrics through the OpenTelemetry metrics API. The API hands out no proxy for meters, so the
 * instruments follow the global provider: made when one is registered (also after this
 * instance was created, at its next message), dropped when it changes. The counters
 * `messaging.stats()` already keeps (buffered, dropped, retries) are observed from it, not
 * counted twice. Consumer lag is asked of the broker at each collection (`lag`, which never
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

  /** Counts and times one publish; `undefined` without a meter provider. */
  send(topic: string, count: number): SendTrace | undefined {
    const instruments = this.#current();
    if (instruments === undefined) return undefined;
    const start = performance.now();
    return (error) => {
      const attributes: Attributes = { [attr.system]: this.#system, [attr.destination]: topic, [attr.operationName]: 'send', [attr.operationType]: 'send' };
      if (error !== undefined) attributes[attr.errorType] = errorType(error);
      instruments.sent.add(count, attributes);
      instruments.operationDuration.record((performance.now() - start) / 1_000, attributes);
    };
  }

  /** Placed inside the dead-letter link: resolving is an acknowledged delivery; a rejection is counted by the dead-letter hook. */
  readonly link = (): Middleware => (next) => (message, ctx) => {
    const instruments = this.#current();
    if (instruments === undefined) return attempt(next, message, ctx);
    const attributes: Attributes = { [attr.system]: this.#system, [attr.destination]: message.topic, [attr.group]: ctx.groupId, [attr.operationName]: 'process' };
    instruments.consumed.add(1, attributes);
    const start = performance.now();
    return attempt(next, message, ctx).then(
      () => {
        instruments.processDuration.record((performance.now() - start) / 1_000, attributes);
        instruments.outcomes.add(1, { ...attributes, [attr.outcome]: 'ack' });
      },
      (error: unknown) => {
        instruments.processDuration.record((performance.now() - start) / 1_000, { ...attributes, [attr.errorType]: errorType(error) });
        throw error;
      },
    );
  };

  readonly retrying = (): void => {
    this.#current()?.outcomes.add(1, { [attr.system]: this.#system, [attr.outcome]: 'retry' });
  };

  readonly deadLettered = (reason: string, topic: string | undefined): void => {
    const instruments = this.#current();
    if (instruments === undefined) return;
    const outcome = topic === undefined ? 'discarded' : reason === 'validation' || reason === 'malformed' ? 'invalid' : 'dead-letter';
    instruments.deadLetters.add(1, { [attr.system]: this.#system, [attr.deadLetterReason]: reason, [attr.outcome]: outcome });
    instruments.outcomes.add(1, { [attr.system]: this.#system, [attr.outcome]: outcome });
  };

  readonly eventHandled = (topic: string, groupId: string, timestamp: string): void => {
    const instruments = this.#current();
    const at = instruments === undefined ? Number.NaN : Date.parse(timestamp);
    if (instruments === undefined || Number.isNaN(at)) return;
    instruments.latency.record(Math.max(0, Date.now() - at) / 1_000, { [attr.system]: this.#system, [attr.destination]: topic, [attr.group]: groupId });
  };

  /** Stops observing the stats: the instance closed. */
  close(): void {
    this.#bound?.unobserve();
    this.#bound = undefined;
  }

  #current(): MetricInstruments | undefined {
    const provider = this.#api.metrics.getMeterProvider();
    if (this.#bound?.provider === provider) return this.#bound.instruments;
    this.#bound?.unobserve();
    const meter = provider.getMeter('eventwire');
    this.#bound = meter === this.#api.createNoopMeter() ? { provider, instruments: undefined, unobserve: () => {} } : this.#bind(provider, meter);
    return this.#bound.instruments;
  }

  #bind(provider: MeterProvider, meter: Meter): Bound {
    const instruments = createInstruments(meter);
    const observed = [instruments.buffered, instruments.dropped, instruments.retries];
    const attributes = { [attr.system]: this.#system };
    const observe = (result: { observe(instrument: (typeof observed)[number], value: number, attributes: Attributes): void }): void => {
      result.observe(instruments.buffered, this.#stats.eventsBuffered, attributes);
      result.observe(instruments.dropped, this.#stats.eventsDropped, attributes);
      result.observe(instruments.retries, this.#stats.retried, attributes);
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
      unobserve: () => {
        meter.removeBatchObservableCallback(observe, observed);
        instruments.lag.removeCallback(observeLag);
      },
    };
  }
}
