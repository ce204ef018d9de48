// `npm run demo -- --trace`: OpenTelemetry set up as an application sets it up (a tracer provider,
// the async-hooks context manager, the W3C propagator and the HTTP instrumentation, all before the
// app loads), with an in-process exporter whose spans the demo prints as a tree at the end.
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
trace.setGlobalTracerProvider(provider);
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
// The SERVER span of each request, which eventMiddleware publishes under.
registerInstrumentations({ tracerProvider: provider, instrumentations: [new HttpInstrumentation()] });

/**
 * The spans that ended, one tree per trace: a `trace <id>` line, then each span indented under
 * its parent, in the order they started. Call it once everything closed; it shuts the provider down.
 *
 * @example
 * for (const line of await traceTree()) console.log(`demo: ${line}`);
 */
export async function traceTree(): Promise<string[]> {
  await provider.forceFlush();
  const spans = [...exporter.getFinishedSpans()].sort((a, b) => hrMs(a.startTime) - hrMs(b.startTime));
  await provider.shutdown();
  const known = new Set(spans.map((span) => span.spanContext().spanId));
  const under = (parent: string | undefined): ReadableSpan[] =>
    spans.filter((span) => (parent === undefined ? !known.has(span.parentSpanContext?.spanId ?? '') : span.parentSpanContext?.spanId === parent));
  const lines: string[] = [];
  const walk = (span: ReadableSpan, depth: number): void => {
    lines.push(`${'  '.repeat(depth)}${describe(span)}`);
    for (const child of under(span.spanContext().spanId)) walk(child, depth + 1);
  };
  const traces = [...new Set(spans.map((span) => span.spanContext().traceId))];
  for (const traceId of traces) {
    lines.push(`trace ${traceId}`);
    for (const root of under(undefined).filter((span) => span.spanContext().traceId === traceId)) walk(root, 1);
  }
  return lines;
}

/** `send user-events [PRODUCER] user.created, 2.1 ms`: name, kind, what eventwire says of it, duration. */
function describe(span: ReadableSpan): string {
  const { attributes } = span;
  const facts = [attributes['eventwire.event.name'], attributes['messaging.consumer.group.name'] && `group ${String(attributes['messaging.consumer.group.name'])}`]
    .filter((fact) => fact !== undefined && fact !== '')
    .map(String);
  facts.push(`${hrMs(span.duration).toFixed(1)} ms`);
  return `${span.name} [${SpanKind[span.kind]}] ${facts.join(', ')}`;
}

function hrMs([seconds, nanos]: readonly [number, number]): number {
  return seconds * 1000 + nanos / 1e6;
}
