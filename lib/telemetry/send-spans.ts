import type { Context, Span, SpanContext, SpanOptions, Tracer } from '@opentelemetry/api';
import type { OutgoingMessage } from '../broker.js';
import { attr, errorType, eventAttributes, headerGetter, serverAddress, spanEvent, traceparent, withSpanContext } from './attributes.js';
import { eventwireTracer, tracerRegistered, type OtelApi } from './otel-api.js';
import type { DropReason, SendTrace, Telemetry, TelemetryTarget } from './telemetry.js';

/** A PRODUCER span and the message carrying its context. */
interface Started {
  readonly span: Span;
  readonly message: OutgoingMessage;
}

/** What the span of a dropped event says, by reason. */
const dropStatus: Readonly<Record<DropReason, string>> = {
  buffer_full: 'dropped: the fire-and-forget buffer is full (maxBufferedEvents)',
  closed: 'dropped at close: the broker did not acknowledge the event before close() gave up on it (timeoutMs)',
};

/** `error.type` of a dropped event's span, by reason. */
const dropErrorType: Readonly<Record<DropReason, string>> = { buffer_full: 'buffer_full', closed: 'dropped_at_close' };

/**
 * PRODUCER `send <topic>` spans, one per message. A buffered event's span starts when it is
 * emitted (in the request's context) and ends when its batch is acknowledged, so it covers the
 * wait in the buffer; a direct publish's span covers the round trip.
 */
export class SendSpans implements Pick<Telemetry, 'begin' | 'dropped' | 'send'> {
  readonly #api: OtelApi;
  /** A proxy: it reaches the SDK registered later, so one per instance is enough. */
  readonly #tracer: Tracer;
  readonly #system: string;
  readonly #host: string | undefined;
  /**
   * The spans of buffered messages not ended yet, by the message (with headers) the buffer
   * holds: started by {@link begin}, or by {@link send} for a buffered message sent again. Whoever
   * takes a span out of here ends it, so a span ends once although a drop at close and the
   * settling of its publish may both come.
   */
  readonly #open = new WeakMap<OutgoingMessage, Span>();
  /** The messages {@link begin} returned: the buffer's. */
  readonly #buffered = new WeakSet<OutgoingMessage>();
  /** The span options of a message that carries no context yet: the same object for each. */
  readonly #options: SpanOptions;

  constructor(api: OtelApi, target: TelemetryTarget) {
    this.#api = api;
    this.#options = Object.freeze({ kind: api.SpanKind.PRODUCER });
    this.#tracer = eventwireTracer(api);
    this.#system = target.system;
    this.#host = serverAddress(target.url);
  }

  readonly begin = (topic: string, message: OutgoingMessage): OutgoingMessage => {
    if (!tracerRegistered(this.#api)) return message;
    const started = this.#start(topic, message, this.#api.context.active());
    this.#open.set(started.message, started.span);
    this.#buffered.add(started.message);
    return started.message;
  };

  readonly dropped = (message: OutgoingMessage, reason: DropReason): void => {
    const span = this.#open.get(message);
    if (span === undefined) return;
    this.#open.delete(message);
    span.setAttribute(attr.errorType, dropErrorType[reason]);
    span.addEvent(spanEvent.dropped, { [attr.dropReason]: reason });
    span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: dropStatus[reason] });
    span.end();
  };

  readonly send = (topic: string, messages: readonly OutgoingMessage[]): { readonly messages: readonly OutgoingMessage[]; readonly end: SendTrace } | undefined => {
    if (!tracerRegistered(this.#api)) return undefined;
    const parent = this.#api.context.active();
    const spans: Span[] = [];
    /** Per span, the buffered message it is open for; `undefined` for a direct publish's. */
    const owners: (OutgoingMessage | undefined)[] = [];
    let copy: OutgoingMessage[] | undefined;
    for (let index = 0; index < messages.length; index += 1) {
      const message = messages[index] as OutgoingMessage;
      const begun = this.#open.get(message);
      if (begun !== undefined) {
        spans.push(begun);
        owners.push(message);
        continue;
      }
      const started = this.#start(topic, message, parent);
      spans.push(started.span);
      // A buffered message sent again after a refused batch: its new span is open until this
      // publish settles or close() drops the message.
      const buffered = this.#buffered.has(message);
      if (buffered) this.#open.set(message, started.span);
      owners.push(buffered ? message : undefined);
      if (started.message !== message) {
        copy ??= messages.slice();
        copy[index] = started.message;
      }
    }
    return { messages: copy ?? messages, end: (error) => this.#end(spans, owners, error) };
  };

  #start(topic: string, message: OutgoingMessage, parent: Context): Started {
    const { SpanKind, isSpanContextValid } = this.#api;
    const carries = message.headers[traceparent] !== undefined;
    const carried = carries ? this.#carried(message) : undefined;
    const span = this.#tracer.startSpan(`send ${topic}`, carried === undefined ? this.#options : { kind: SpanKind.PRODUCER, links: [{ context: carried }] }, parent);
    // No SDK (or not sampled): attributes would go nowhere. With no SDK and no parent there is
    // no context to carry either, and the message goes as it came: the no-op costs one call.
    if (span.isRecording()) span.setAttributes(this.#attributes(topic, message));
    else if (!isSpanContextValid(span.spanContext())) return { span, message };
    if (carries) return { span, message };
    const headers = withSpanContext(this.#api, parent, span, message.headers);
    return { span, message: headers === message.headers ? message : { ...message, headers } };
  }

  /**
   * The trace context a message carries already (an outbox row staged under a `create` span, a
   * dead letter written again): the send span links to it, and the message keeps it.
   */
  #carried(message: OutgoingMessage): SpanContext | undefined {
    const { trace, propagation, ROOT_CONTEXT, isSpanContextValid } = this.#api;
    const carried = trace.getSpanContext(propagation.extract(ROOT_CONTEXT, message.headers, headerGetter));
    return carried !== undefined && isSpanContextValid(carried) ? carried : undefined;
  }

  #attributes(topic: string, message: OutgoingMessage): Record<string, string | number> {
    const attributes: Record<string, string | number> = {
      [attr.system]: this.#system,
      [attr.destination]: topic,
      [attr.operationType]: 'send',
      [attr.operationName]: 'send',
    };
    eventAttributes(message.headers, attributes);
    // The event the message carries, whatever its envelope (a structured CloudEvent's headers say nothing).
    if (message.id !== undefined) attributes[attr.messageId] = message.id;
    if (message.name !== undefined) attributes[attr.eventName] = message.name;
    if (this.#host !== undefined) attributes[attr.serverAddress] = this.#host;
    if (this.#system === 'kafka' && message.key !== undefined) attributes[attr.kafkaKey] = message.key;
    return attributes;
  }

  #end(spans: readonly Span[], owners: readonly (OutgoingMessage | undefined)[], error: unknown): void {
    for (let index = 0; index < spans.length; index += 1) {
      const span = spans[index] as Span;
      const owner = owners[index];
      if (owner !== undefined) {
        // Dropped at close while this publish was in flight: that drop ended the span.
        if (this.#open.get(owner) !== span) continue;
        this.#open.delete(owner);
      }
      if (error !== undefined) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setAttribute(attr.errorType, errorType(error));
        span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      }
      span.end();
    }
  }
}

/**
 * The producer half of an instance's telemetry.
 *
 * @example
 * const send = createSendSpans(api, { system: 'redis', url: 'redis://localhost:6379' });
 */
export function createSendSpans(api: OtelApi, target: TelemetryTarget): SendSpans {
  return new SendSpans(api, target);
}
