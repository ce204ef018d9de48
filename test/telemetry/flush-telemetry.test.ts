import { strict as assert } from 'node:assert';
import { metrics, trace } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { flushTelemetry } from '../../lib/telemetry/flush-telemetry.js';

/** A span processor whose forceFlush settles only when the test says so. */
function heldProcessor(): SpanProcessor & { readonly flushes: number; release(): void } {
  let release = (): void => {};
  let flushes = 0;
  return {
    get flushes() {
      return flushes;
    },
    release: () => release(),
    forceFlush: () => {
      flushes += 1;
      return new Promise<void>((resolve) => (release = resolve));
    },
    onStart: () => {},
    onEnd: () => {},
    shutdown: async () => {},
  };
}

describe('flushTelemetry (what the CLI awaits before it exits)', () => {
  afterEach(() => {
    trace.disable();
    metrics.disable();
  });

  it('resolves true at once when no SDK is registered', async () => {
    assert.equal(await flushTelemetry(10_000), true);
  });

  it('asks the registered tracer provider to flush, and resolves true once it has', async () => {
    const processor = heldProcessor();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [processor] }));
    const flushed = flushTelemetry(10_000);
    assert.equal(processor.flushes, 1);
    processor.release();
    assert.equal(await flushed, true);
  });

  it('exports what the registered meter provider holds', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    // An hour between exports: only a flush exports within the test.
    const provider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })] });
    metrics.setGlobalMeterProvider(provider);
    provider.getMeter('test').createCounter('flushed.things').add(3);
    assert.deepEqual(exporter.getMetrics(), []);
    assert.equal(await flushTelemetry(10_000), true);
    const names = exporter.getMetrics().flatMap((resource) => resource.scopeMetrics.flatMap((scope) => scope.metrics.map((metric) => metric.descriptor.name)));
    assert.deepEqual(names, ['flushed.things']);
    await provider.shutdown();
  });

  it('gives up after its bound on an exporter that never answers, resolving false', async () => {
    const processor = heldProcessor();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [processor] }));
    assert.equal(await flushTelemetry(20), false);
    processor.release();
  });
});
