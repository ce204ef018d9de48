import { bounded } from '../waiting.js';
import { otelApi } from './otel-api.js';

/** What an OpenTelemetry SDK's tracer and meter providers have that the API's no-op ones lack. */
interface Flushable {
  forceFlush(): Promise<void>;
}

function flushable(provider: unknown): provider is Flushable {
  return typeof provider === 'object' && provider !== null && typeof (provider as { forceFlush?: unknown }).forceFlush === 'function';
}

/**
 * Asks the OpenTelemetry SDK the application registered, if any, to export what its processors
 * and readers still hold (`forceFlush()` of the tracer and meter providers), waiting at most
 * `timeoutMs`. For a process about to end by itself (the CLI after its worker drained): a batch
 * span processor exports on a timer, so the last handler's spans would otherwise be lost. Never
 * rejects: an exporter that fails or hangs cannot keep the process from ending. Resolves whether
 * everything was flushed in time (true also when there was nothing to flush).
 *
 * @example
 * await flushTelemetry(5_000);
 */
export async function flushTelemetry(timeoutMs: number): Promise<boolean> {
  const api = otelApi();
  if (api === undefined) return true;
  const traces = api.trace.getTracerProvider();
  // The API hands out a proxy whose delegate is the SDK's provider.
  const tracer = traces instanceof api.ProxyTracerProvider ? traces.getDelegate() : traces;
  const providers = [tracer, api.metrics.getMeterProvider()].flatMap((provider: unknown) => (flushable(provider) ? [provider] : []));
  if (providers.length === 0) return true;
  return bounded(Promise.all(providers.map((provider) => provider.forceFlush())), timeoutMs);
}
