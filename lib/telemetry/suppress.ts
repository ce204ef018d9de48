import { otelApi } from './otel-api.js';

/**
 * The description of the context key under which the OpenTelemetry SDK looks for "suppress
 * tracing" (`suppressTracing` of `@opentelemetry/core`). The API turns a key's description into
 * one process-wide symbol, so the key made here is the SDK's own, without importing the SDK.
 */
const SUPPRESS_TRACING = 'OpenTelemetry SDK Context Key SUPPRESS_TRACING';

let key: symbol | undefined;

/**
 * Runs `call` in the active context with tracing suppressed: an SDK tracer starts no recording
 * span under it and the W3C propagator writes no header. For a client call that an instrumentation
 * would otherwise trace a second time; without `@opentelemetry/api`, just runs `call`.
 *
 * @example
 * await withTracingSuppressed(() => producer.sendBatch(batch));
 */
export function withTracingSuppressed<T>(call: () => T): T {
  const api = otelApi();
  if (api === undefined) return call();
  key ??= api.createContextKey(SUPPRESS_TRACING);
  return api.context.with(api.context.active().setValue(key, true), call);
}
