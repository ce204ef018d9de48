import type { Context, Span } from '@opentelemetry/api';
import type { Headers } from '../broker.js';
import type { OtelApi } from './otel-api.js';
import { binaryBinding } from '../envelope/cloudevent-binary.js';
import { eventIdHeader, eventNameHeader } from '../envelope/event.js';

/**
 * Attribute names: the OpenTelemetry messaging semantic conventions where they have one, and
 * eventwire's own under `eventwire.`.
 */
export const attr = {
  system: 'messaging.system',
  destination: 'messaging.destination.name',
  operationType: 'messaging.operation.type',
  operationName: 'messaging.operation.name',
  group: 'messaging.consumer.group.name',
  messageId: 'messaging.message.id',
  batchCount: 'messaging.batch.message_count',
  partition: 'messaging.destination.partition.id',
  kafkaKey: 'messaging.kafka.message.key',
  kafkaOffset: 'messaging.kafka.offset',
  serverAddress: 'server.address',
  errorType: 'error.type',
  eventName: 'eventwire.event.name',
  attempt: 'eventwire.attempt',
  attempts: 'eventwire.attempts',
  retryDelay: 'eventwire.retry.delay_ms',
  deadLetterReason: 'eventwire.dead_letter.reason',
  deadLetterTopic: 'eventwire.dead_letter.topic',
  outcome: 'eventwire.outcome',
  dropReason: 'eventwire.dropped.reason',
} as const;

/** The span events eventwire adds to a `process` span. */
export const spanEvent = {
  retry: 'eventwire.retry',
  deadLetter: 'eventwire.dead_letter',
  dropped: 'eventwire.dropped',
} as const;

/** The host of the configured address, never its credentials; `undefined` for the in-process broker. */
export function serverAddress(address: string | readonly string[]): string | undefined {
  const url = typeof address === 'string' ? address : (address[0] ?? '');
  if (url.startsWith('memory:')) return undefined;
  if (!url.includes('://')) return url.split(',')[0]?.split(':')[0];
  return URL.canParse(url) ? new URL(url).hostname : undefined;
}

/**
 * The event name and id the headers carry, as span attributes: eventwire's headers, else a
 * binary-mode CloudEvent's `type` and `id`. A structured CloudEvent carries them in the body,
 * which telemetry does not parse: the send span reads the message's `name` and `id`, the
 * process span gets them once the event is decoded.
 */
export function eventAttributes(headers: Headers, into: Record<string, string | number>): void {
  let name = headers[eventNameHeader];
  let id = headers[eventIdHeader];
  if (name === undefined && id === undefined) {
    const binding = binaryBinding(headers);
    if (binding !== undefined) {
      name = headers[binding.type];
      id = headers[binding.id];
    }
  }
  if (name !== undefined) into[attr.eventName] = name;
  if (id !== undefined) into[attr.messageId] = id;
}

/** What an error is called in `error.type`: its stable `code` when it has one, else its class. */
export function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') return error.code;
  return error instanceof Error ? error.constructor.name : '_OTHER';
}

/** The header W3C trace context travels in: a message that has one keeps it (dead letters, outbox rows). */
export const traceparent = 'traceparent';

/** Reads headers for the propagator. */
export const headerGetter = {
  keys: (carrier: Headers): string[] => Object.keys(carrier),
  get: (carrier: Headers, key: string): string | undefined => carrier[key],
};

/** Writes headers for the propagator. */
export const headerSetter = {
  set: (carrier: Record<string, string>, key: string, value: string): void => {
    carrier[key] = value;
  },
};

/**
 * `headers` with the trace context of `span` (in `parent`) that the global propagator writes, or
 * `headers` itself when it writes nothing (no propagator registered): no copy without a reason.
 *
 * @example
 * const traced = withSpanContext(api, parent, span, message.headers);
 */
export function withSpanContext(api: OtelApi, parent: Context, span: Span, headers: Headers): Headers {
  const carrier: Record<string, string> = {};
  api.propagation.inject(api.trace.setSpan(parent, span), carrier, headerSetter);
  for (const _ in carrier) return { ...headers, ...carrier };
  return headers;
}
