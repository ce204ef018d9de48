import { createRequire } from 'node:module';

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
      loaded = createRequire(import.meta.url)('@opentelemetry/api') as OtelApi;
    } catch (error) {
      // Only an absent package means "no telemetry"; a broken install is the user's to see.
      if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
      loaded = null;
    }
  }
  return loaded ?? undefined;
}
