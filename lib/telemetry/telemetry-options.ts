import { InvalidArgumentError } from '../errors/index.js';
import { describe, expectBoolean, expectKnownKeys, expectObject } from '../config/validate.js';

/**
 * The `telemetry` option of `configureMessaging`: what eventwire reports through
 * `@opentelemetry/api` when that package is installed. Without it, nothing is reported.
 *
 * @example
 * configureMessaging({ broker: 'kafka', telemetry: { processSpanParent: 'link' } });
 */
export interface TelemetryOptions {
  /** Producer and consumer spans, and trace context in message headers. Default true. */
  readonly tracing?: boolean;
  /** The messaging metrics, through the OpenTelemetry metrics API. Default true. */
  readonly metrics?: boolean;
  /**
   * How a `process` span relates to the producer's context found in the headers: as its parent
   * (default, one trace from request to handler) or as a span link (a new trace per message).
   */
  readonly processSpanParent?: 'parent' | 'link';
}

/** {@link TelemetryOptions} after defaults and validation. */
export interface ResolvedTelemetry {
  readonly tracing: boolean;
  readonly metrics: boolean;
  readonly processSpanParent: 'parent' | 'link';
}

/**
 * Validates the `telemetry` option; `false` turns everything off.
 *
 * @example
 * resolveTelemetry({ tracing: false }); // { tracing: false, metrics: true, processSpanParent: 'parent' }
 */
export function resolveTelemetry(option: TelemetryOptions | false | undefined): ResolvedTelemetry {
  if (option === false) return Object.freeze({ tracing: false, metrics: false, processSpanParent: 'parent' });
  const given = expectObject('telemetry', option ?? {}) as Record<string, unknown>;
  expectKnownKeys('telemetry', given, ['tracing', 'metrics', 'processSpanParent']);
  const parent = given.processSpanParent ?? 'parent';
  if (parent !== 'parent' && parent !== 'link') {
    throw new InvalidArgumentError('telemetry.processSpanParent', `Expected \`telemetry.processSpanParent\` to be 'parent' or 'link', got ${describe(parent)}.`);
  }
  return Object.freeze({
    tracing: expectBoolean('telemetry.tracing', given.tracing ?? true),
    metrics: expectBoolean('telemetry.metrics', given.metrics ?? true),
    processSpanParent: parent,
  });
}
