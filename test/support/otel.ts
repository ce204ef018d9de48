import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, type ReadableSpan, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { withTimeout } from './wait.js';

/** A waiter for a set of finished spans. */
interface Waiter {
  readonly predicate: (spans: readonly ReadableSpan[]) => boolean;
  readonly resolve: () => void;
}

/** Keeps every finished span and wakes whoever waits for a set of them. */
class RecordingProcessor implements SpanProcessor {
  readonly spans: ReadableSpan[] = [];
  readonly waiters = new Set<Waiter>();
  /** Spans started, ended or not: the exporter sees only the ended ones. */
  readonly started: string[] = [];

  onStart(span: { readonly name: string }): void {
    this.started.push(span.name);
  }

  onEnd(span: ReadableSpan): void {
    this.spans.push(span);
    for (const waiter of this.waiters) {
      if (!waiter.predicate(this.spans)) continue;
      this.waiters.delete(waiter);
      waiter.resolve();
    }
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** The real OpenTelemetry SDK, registered globally for one suite. */
export interface OtelSdk {
  readonly spans: readonly ReadableSpan[];
  /** The names of the spans started since the last {@link reset}, ended or not. */
  readonly started: readonly string[];
  /** Waits until the finished spans satisfy `predicate`, failing after `ms` with `what`. */
  waitFor(predicate: (spans: readonly ReadableSpan[]) => boolean, ms: number, what: string): Promise<void>;
  reset(): void;
  uninstall(): Promise<void>;
}

/**
 * Registers a tracer provider with an in-memory span processor, the async-hooks context manager
 * and the W3C propagator, as an application would.
 *
 * @example
 * const sdk = installOtel(); … await sdk.uninstall();
 */
export function installOtel(): OtelSdk {
  const processor = new RecordingProcessor();
  const provider = new BasicTracerProvider({ spanProcessors: [processor] });
  const manager = new AsyncLocalStorageContextManager().enable();
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(manager);
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  return {
    get spans() {
      return processor.spans;
    },
    get started() {
      return processor.started;
    },
    waitFor(predicate, ms, what) {
      if (predicate(processor.spans)) return Promise.resolve();
      let waiter: Waiter | undefined;
      const found = new Promise<void>((resolve) => {
        waiter = { predicate, resolve };
        processor.waiters.add(waiter);
      });
      return withTimeout(found, ms, what).finally(() => {
        if (waiter !== undefined) processor.waiters.delete(waiter);
      });
    },
    reset() {
      processor.spans.length = 0;
      processor.started.length = 0;
    },
    async uninstall() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}

/** The spans named `name`. */
export function named(spans: readonly ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

/** One data point of a metric, flattened: its attributes and its value (a sum, a gauge, or a histogram's count). */
export interface Point {
  readonly attributes: Readonly<Record<string, unknown>>;
  readonly value: number;
}

/** The real OpenTelemetry metrics SDK, registered globally for one suite. */
export interface MetricsSdk {
  /** Exports now and returns every metric's points by name (cumulative). */
  collect(): Promise<Map<string, Point[]>>;
  uninstall(): Promise<void>;
}

/**
 * Registers a meter provider whose reader exports to an in-memory exporter on demand.
 *
 * @example
 * const sdk = installMetrics(); const points = await sdk.collect();
 */
export function installMetrics(): MetricsSdk {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  // The interval is long: the test exports with forceFlush, never on a timer.
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(provider);
  return {
    async collect() {
      exporter.reset();
      await reader.forceFlush();
      const found = new Map<string, Point[]>();
      for (const resource of exporter.getMetrics()) {
        for (const scope of resource.scopeMetrics) {
          for (const metric of scope.metrics) {
            const points = metric.dataPoints.map((point) => ({
              attributes: point.attributes,
              value: typeof point.value === 'number' ? point.value : (point.value as { count: number }).count,
            }));
            found.set(metric.descriptor.name, [...(found.get(metric.descriptor.name) ?? []), ...points]);
          }
        }
      }
      return found;
    },
    async uninstall() {
      await provider.shutdown();
      metrics.disable();
    },
  };
}
