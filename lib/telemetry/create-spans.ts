import type { Headers } from '../broker.js';
import { attr, traceparent, withSpanContext } from './attributes.js';
import { eventwireTracer, otelApi, tracerRegistered, type OtelApi } from './otel-api.js';

/** What a creation span says of the event it creates. */
export interface CreatedEvent {
  readonly topic: string;
  readonly name: string;
  readonly id: string;
  /** `messaging.system` when the caller knows which broker will carry the event. */
  readonly system?: string;
}

/**
 * Starts and ends a PRODUCER `create <topic>` span (operation type `create`) in the active
 * context, and returns `headers` with that span's context added, for an event that is stored now
 * and sent later by someone else (the outbox: staged in the request's transaction, published by
 * a relay). The relay's `send` span then links to this context while the message keeps it, so
 * the consumer's `process` span continues the trace of the request that staged the event.
 * Returns `headers` unchanged when no SDK is registered or they carry a trace context already.
 *
 * @example
 * const traced = traceCreation(api, { topic: 'orders', name: 'order.placed', id }, headers);
 */
export function traceCreation(api: OtelApi, event: CreatedEvent, headers: Headers): Headers {
  if (headers[traceparent] !== undefined || !tracerRegistered(api)) return headers;
  const { context, SpanKind } = api;
  const parent = context.active();
  const span = eventwireTracer(api).startSpan(`create ${event.topic}`, { kind: SpanKind.PRODUCER }, parent);
  if (span.isRecording()) {
    span.setAttributes({
      [attr.destination]: event.topic,
      [attr.operationType]: 'create',
      [attr.operationName]: 'create',
      [attr.messageId]: event.id,
      [attr.eventName]: event.name,
      ...(event.system === undefined ? {} : { [attr.system]: event.system }),
    });
  }
  span.end();
  return withSpanContext(api, parent, span, headers);
}

/**
 * {@link traceCreation} through the `@opentelemetry/api` copy this package loads, for callers
 * outside a messaging instance (the outbox's `stage`); `headers` unchanged without the package.
 *
 * @example
 * headers = traceCreationGlobally({ topic, name, id: event.id }, headers);
 */
export function traceCreationGlobally(event: CreatedEvent, headers: Headers): Headers {
  const api = otelApi();
  return api === undefined ? headers : traceCreation(api, event, headers);
}
