import type { OutgoingMessage } from '../broker.js';
import type { EventIdentity } from '../envelope/event.js';
import type { Middleware } from '../handling/chain.js';
import { otelApi, tracerRegistered, type OtelApi } from './otel-api.js';
import { createProcessSpans } from './process-spans.js';
import { createSendSpans } from './send-spans.js';
import { traceCreation } from './create-spans.js';
import type { ResolvedTelemetry } from './telemetry-options.js';
import type { MessagingStats } from '../stats.js';
import { MessagingMetrics } from './messaging-metrics.js';
import type { LagRead } from '../lag.js';

/** Ends the spans of one publish: with nothing once acknowledged, with the error once refused. */
export type SendTrace = (error?: unknown) => void;

/**
 * Why a buffered event was given up: the full buffer refused it (`buffer_full`), or `close()`
 * dropped it unacknowledged (`closed`).
 */
export type DropReason = 'buffer_full' | 'closed';

/**
 * The one interface the core calls to report telemetry. The implementation over
 * `@opentelemetry/api` lives in this folder; without that package (or with `telemetry: false`)
 * every member is a no-op that allocates nothing.
 */
export interface Telemetry {
  /** Whether it creates spans (the API is installed and `tracing` is on). */
  readonly tracing: boolean;
  /**
   * Starts the PRODUCER span of a message that waits in the buffer before it is sent, in the
   * caller's context, and returns the message with that span's context in its headers.
   */
  begin(topic: string, message: OutgoingMessage): OutgoingMessage;
  /**
   * For a message stored now and sent later by someone else (outbox-only mode): ends a
   * `create <topic>` span in the caller's context and returns the message carrying its context.
   */
  create(topic: string, message: OutgoingMessage): OutgoingMessage;
  /**
   * A message {@link begin} started was given up (refused by the full buffer, or dropped at
   * close, even while its batch was in flight): its span ends with an error, once.
   */
  dropped(message: OutgoingMessage, reason: DropReason): void;
  /**
   * Called as a publish starts: spans for the messages {@link begin} did not start, in the
   * current context. Returns the messages to send (with trace headers) and the function that
   * ends their spans, or `undefined` when there is nothing to trace.
   */
  send(topic: string, messages: readonly OutgoingMessage[]): { readonly messages: readonly OutgoingMessage[]; readonly end: SendTrace } | undefined;
  /** The outermost handling link: one CONSUMER `process` span per delivery; `undefined` when off. */
  processLink(): Middleware | undefined;
  /**
   * Whether the links of {@link processLink} and {@link handlingLink} would record anything now
   * (an SDK registered a tracer or meter provider). While false, a delivery may skip them: they
   * would only pass it on. Asked per delivery, so an SDK registered later counts from the next one.
   */
  recording(): boolean;
  /** A handler attempt failed and is retried after `delayMs`. */
  retrying(attempt: number, delayMs: number, error: unknown): void;
  /** A delivery was given up: dead-lettered to `topic`, or dropped when `topic` is undefined. */
  deadLettered(reason: string, topic: string | undefined, attempts: number, error: unknown): void;
  /** The link inside the dead-letter link that counts and times deliveries; `undefined` when off. */
  handlingLink(): Middleware | undefined;
  /** An event's handler succeeded; `timestamp` is the event's own, for the end-to-end latency. */
  eventHandled(topic: string, groupId: string, timestamp: string): void;
  /**
   * The delivery's event was decoded from an envelope whose headers do not name it (a
   * CloudEvent, the Python original's): its name and id go on the `process` span.
   */
  eventRead(event: EventIdentity): void;
  /** The instance closed: stop observing its counters. */
  close(): void;
}

/** The telemetry of an instance that reports nothing. */
export const noTelemetry: Telemetry = Object.freeze({
  tracing: false,
  begin: (_topic: string, message: OutgoingMessage) => message,
  create: (_topic: string, message: OutgoingMessage) => message,
  dropped: () => {},
  send: () => undefined,
  processLink: () => undefined,
  recording: () => false,
  handlingLink: () => undefined,
  retrying: () => {},
  deadLettered: () => {},
  eventHandled: () => {},
  eventRead: () => {},
  close: () => {},
});

/** Where the spans of one instance say they come from. */
export interface TelemetryTarget {
  /** `messaging.system`: `kafka`, `rabbitmq`, `redis`, `memory`, or a custom broker's name. */
  readonly system: string;
  /** The configured address, of which only the (first node's) host is reported. */
  readonly url: string | readonly string[];
}

/**
 * The telemetry of one instance: spans and metrics over `@opentelemetry/api` when it is
 * installed and they are enabled, else {@link noTelemetry}.
 *
 * @example
 * const telemetry = createTelemetry(resolved.telemetry, { system: 'kafka', url: 'localhost:9092' }, stats, async () => []);
 */
export function createTelemetry(options: ResolvedTelemetry, target: TelemetryTarget, stats: MessagingStats, lag: LagRead): Telemetry {
  const api = options.tracing || options.metrics ? otelApi() : undefined;
  if (api === undefined) return noTelemetry;
  const spans = options.tracing ? { send: createSendSpans(api, target), process: createProcessSpans(api, target, options.processSpanParent) } : undefined;
  const metrics = options.metrics ? new MessagingMetrics(api, target, stats, lag) : undefined;
  return {
    tracing: spans !== undefined,
    begin: spans === undefined ? noTelemetry.begin : spans.send.begin,
    dropped: spans === undefined ? noTelemetry.dropped : spans.send.dropped,
    create: spans === undefined ? noTelemetry.create : (topic, message) => createdMessage(api, target.system, topic, message),
    send(topic, messages) {
      const traced = spans?.send.send(topic, messages);
      const counted = metrics?.send(topic, messages.length);
      if (counted === undefined) return traced;
      if (traced === undefined) return { messages, end: counted };
      return { messages: traced.messages, end: (error) => (traced.end(error), counted(error)) };
    },
    processLink: () => spans?.process.link(),
    recording: () => (spans !== undefined && tracerRegistered(api)) || (metrics !== undefined && metrics.registered()),
    handlingLink: () => metrics?.link(),
    retrying(attempt, delayMs, error) {
      spans?.process.retrying(attempt, delayMs, error);
      metrics?.retrying();
    },
    deadLettered(reason, topic, attempts, error) {
      spans?.process.deadLettered(reason, topic, attempts, error);
      metrics?.deadLettered(reason, topic);
    },
    eventHandled: metrics === undefined ? noTelemetry.eventHandled : metrics.eventHandled,
    eventRead: spans === undefined ? noTelemetry.eventRead : spans.process.eventRead,
    close: () => metrics?.close(),
  };
}

/** `message` with the context of its creation span in its headers (see {@link traceCreation}). */
function createdMessage(api: OtelApi, system: string, topic: string, message: OutgoingMessage): OutgoingMessage {
  const created = { topic, name: message.name ?? '', id: message.id ?? '', system };
  const headers = traceCreation(api, created, message.headers);
  return headers === message.headers ? message : { ...message, headers };
}
