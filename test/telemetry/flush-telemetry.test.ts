import { strict as assert } from 'node:assert';
import { trace } from '@opentelemetry/api';
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
  afterEach(() => trace.disable());

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

  it('gives up after its bound on an exporter that never answers, resolving false', async () => {
    const processor = heldProcessor();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [processor] }));
    assert.equal(await flushTelemetry(20), false);
    processor.release();
  });
});
