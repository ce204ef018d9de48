import { createRequire } from 'node:module';
import { packageVersion } from '../config/package-version.js';

/** The `@opentelemetry/api` module's shape, for the telemetry folder only (never in a public type). */
export type OtelApi = typeof import('@opentelemetry/api');

/** Loaded once: `undefined` until tried, then the module or `null` when it is not installed. */
let loaded: OtelApi | null | undefined;

/**
 * The `@opentelemetry/api` module when the optional peer is installed, else `undefined`.
 * Loaded synchronously, so that the first publish after `configureMessaging` is already traced;
 * the API keeps its registered SDK on a global, so this copy sees the one the application set up.
 *
 * @example
 * const api = otelApi(); if (api !== undefined) api.trace.getTracer('eventwire');
 */
export function otelApi(): OtelApi | undefined {
  if (loaded === undefined) {
    try {
      // A plain copy: the CommonJS build exports every member through a getter, which the
      // per-message checks (tracerRegistered, the meter provider) would otherwise call each time.
      // The members are singletons, classes and functions, so the copy stays current.
      loaded = { ...(createRequire(import.meta.url)('@opentelemetry/api') as OtelApi) };
    } catch (error) {
      // Only an absent package means "no telemetry"; a broken install is the user's to see.
      if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

/** What a provider that was never given an SDK delegates to; one per loaded API copy. */
let noopProvider: unknown;

/**
 * Whether an SDK registered a tracer provider. Without one, every span would be a no-op and no
 * propagator would write a header: the tracing paths check this first and return at once, so
 * that an installed API with no SDK costs a few property reads per message.
 *
 * @example
 * if (!tracerRegistered(api)) return message;
 */
export function tracerRegistered(api: OtelApi): boolean {
  noopProvider ??= new api.ProxyTracerProvider().getDelegate();
  const provider = api.trace.getTracerProvider();
  return !(provider instanceof api.ProxyTracerProvider) || provider.getDelegate() !== noopProvider;
}

/**
 * eventwire's tracer: named `eventwire` with the package's version, the instrumentation scope
 * its spans carry.
 *
 * @example
 * eventwireTracer(api).startSpan('send orders');
 */
export function eventwireTracer(api: OtelApi): ReturnType<OtelApi['trace']['getTracer']> {
  return api.trace.getTracer('eventwire', packageVersion());
}

/**
 * eventwire's meter from `provider`, with the same name and version as {@link eventwireTracer}.
 *
 * @example
 * const meter = eventwireMeter(api.metrics.getMeterProvider());
 */
export function eventwireMeter(provider: ReturnType<OtelApi['metrics']['getMeterProvider']>): ReturnType<typeof provider.getMeter> {
  return provider.getMeter('eventwire', packageVersion());
}
