import type { Attributes, Span, SpanOptions, Tracer } from '@opentelemetry/api';
import { eventNameHeader, type EventIdentity } from '../envelope/event.js';
import type { IncomingMessage } from '../broker.js';
import { attempt, type DeliveryContext, type Middleware } from '../handling/chain.js';
import { attr, errorType, eventAttributes, headerGetter, serverAddress, spanEvent } from './attributes.js';
import { eventwireTracer, tracerRegistered, type OtelApi } from './otel-api.js';
import type { Telemetry, TelemetryTarget } from './telemetry.js';

/**
 * CONSUMER `process <topic>` spans, one per delivery, around the whole handling chain: every
 * attempt runs inside it (so the handler's own spans and logs join the trace), each retry is a
 * span event, and a dead letter is an event plus the span's error status.
 */
export class ProcessSpans implements Pick<Telemetry, 'retrying' | 'deadLettered' | 'eventRead'> {
  readonly #api: OtelApi;
  /** A proxy: it reaches the SDK registered later, so one per instance is enough. */
  readonly #tracer: Tracer;
  readonly #system: string;
  readonly #host: string | undefined;
  readonly #asLink: boolean;
  /** Where the delivery's context keeps its `process` span, which a handler's own span may hide as the active one. */
  readonly #spanKey: symbol;
  /** The span options of a delivery without a link: the same object for each. */
  readonly #options: SpanOptions;

  constructor(api: OtelApi, target: TelemetryTarget, parent: 'parent' | 'link') {
    this.#api = api;
    this.#tracer = eventwireTracer(api);
    this.#system = target.system;
    this.#host = serverAddress(target.url);
    this.#asLink = parent === 'link';
    this.#spanKey = api.createContextKey('eventwire process span');
    this.#options = Object.freeze({ kind: api.SpanKind.CONSUMER });
  }

  readonly link = (): Middleware => (next) => (message, ctx) => {
    if (!tracerRegistered(this.#api)) return attempt(next, message, ctx);
    const { context, trace, propagation, ROOT_CONTEXT, SpanKind } = this.#api;
    // From the root: a delivery must not join whatever context the adapter's callback runs in
    // (on the in-process broker, the publisher's).
    const producer = propagation.extract(ROOT_CONTEXT, message.headers, headerGetter);
    const producerSpan = this.#asLink ? trace.getSpanContext(producer) : undefined;
    const options = producerSpan === undefined ? this.#options : { kind: SpanKind.CONSUMER, links: [{ context: producerSpan }] };
    const parent = this.#asLink ? ROOT_CONTEXT : producer;
    const span = this.#tracer.startSpan(`process ${message.topic}`, options, parent);
    // Without an SDK (or unsampled), attributes go nowhere; with no context either, the
    // delivery runs as if this link were not there.
    if (span.isRecording()) span.setAttributes(this.#attributes(message, ctx));
    else if (!this.#api.isSpanContextValid(span.spanContext())) return attempt(next, message, ctx);
    // Each value set copies the context: the span is kept under eventwire's key only for a message
    // whose headers do not name its event, the one case that calls eventRead.
    const spanContext = message.headers[eventNameHeader] === undefined ? trace.setSpan(parent, span).setValue(this.#spanKey, span) : trace.setSpan(parent, span);
    return context.with(spanContext, () => attempt(next, message, ctx)).then(
      () => span.end(),
      (error: unknown) => {
        this.#fail(span, error);
        span.end();
        throw error;
      },
    );
  };

  readonly eventRead = (event: EventIdentity): void => {
    const span = this.#api.context.active().getValue(this.#spanKey) as Span | undefined;
    if (span === undefined || !span.isRecording()) return;
    span.setAttributes({ [attr.eventName]: event.name, [attr.messageId]: event.id });
  };

  readonly retrying = (failed: number, delayMs: number, error: unknown): void => {
    const span = this.#api.trace.getActiveSpan();
    if (span === undefined) return;
    span.addEvent(spanEvent.retry, { [attr.attempt]: failed, [attr.retryDelay]: delayMs, [attr.errorType]: errorType(error) });
    span.recordException(error instanceof Error ? error : String(error));
  };

  readonly deadLettered = (reason: string, topic: string | undefined, attempts: number, error: unknown): void => {
    const span = this.#api.trace.getActiveSpan();
    if (span === undefined) return;
    const details: Attributes = { [attr.deadLetterReason]: reason, [attr.attempts]: attempts };
    if (topic !== undefined) details[attr.deadLetterTopic] = topic;
    span.setAttributes(details);
    span.setAttribute(attr.outcome, topic === undefined ? 'discarded' : 'dead-letter');
    span.addEvent(spanEvent.deadLetter, details);
    this.#fail(span, error);
  };

  #attributes(message: IncomingMessage, ctx: DeliveryContext): Record<string, string | number> {
    const attributes: Record<string, string | number> = {
      [attr.system]: this.#system,
      [attr.destination]: message.topic,
      [attr.operationType]: 'process',
      [attr.operationName]: 'process',
      [attr.group]: ctx.groupId,
      [attr.messageId]: message.id,
    };
    // The event's id wins over the broker's position: it is the same on every delivery.
    eventAttributes(message.headers, attributes);
    if (this.#host !== undefined) attributes[attr.serverAddress] = this.#host;
    if (this.#system === 'kafka') {
      const [partition, offset] = message.id.split(':');
      if (partition !== undefined) attributes[attr.partition] = partition;
      if (offset !== undefined) attributes[attr.kafkaOffset] = Number(offset);
      if (message.key !== undefined) attributes[attr.kafkaKey] = message.key;
    }
    return attributes;
  }

  #fail(span: Span, error: unknown): void {
    span.recordException(error instanceof Error ? error : String(error));
    span.setAttribute(attr.errorType, errorType(error));
    span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
}

/**
 * The consumer half of an instance's telemetry.
 *
 * @example
 * const process = createProcessSpans(api, { system: 'kafka', url: 'localhost:9092' }, 'parent');
 */
export function createProcessSpans(api: OtelApi, target: TelemetryTarget, parent: 'parent' | 'link'): ProcessSpans {
  return new ProcessSpans(api, target, parent);
}
