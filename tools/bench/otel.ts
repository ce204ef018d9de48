import { createRequire } from 'node:module';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, W3CTraceContextPropagator, type ExportResult } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { AmqplibInstrumentation } from '@opentelemetry/instrumentation-amqplib';
import { KafkaJsInstrumentation } from '@opentelemetry/instrumentation-kafkajs';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { CaseSpec } from './types.js';

/** Accepts every batch and sends it nowhere: what remains is the cost of making the spans and metrics. */
const done = (callback: (result: ExportResult) => void): void => callback({ code: ExportResultCode.SUCCESS });
const noSpans: SpanExporter = { export: (_spans, callback) => done(callback), shutdown: () => Promise.resolve() };
const noMetrics: PushMetricExporter = { export: (_metrics, callback) => done(callback), forceFlush: () => Promise.resolve(), shutdown: () => Promise.resolve() };

/**
 * The OpenTelemetry SDK of an `otel` case, registered before the case loads its libraries, as an
 * application does: a tracer provider with the batch span processor, a meter provider with a
 * periodic reader (the SDK's defaults), both exporting to no-op exporters, the async-hooks context
 * manager and the W3C propagator. A raw case also runs its client's own instrumentation
 * (`@opentelemetry/instrumentation-kafkajs` or `-amqplib`); eventwire's case runs eventwire's.
 */
export function installOtel(spec: CaseSpec): void {
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(noSpans)] });
  trace.setGlobalTracerProvider(provider);
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter: noMetrics })] }));
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  if (spec.impl !== 'raw') return;
  registerInstrumentations({ instrumentations: [new KafkaJsInstrumentation(), new AmqplibInstrumentation()] });
  // The raw drivers import the client, which require-in-the-middle does not see; a require now
  // patches the classes the import then returns.
  createRequire(import.meta.url)(spec.broker === 'kafka' ? 'kafkajs' : 'amqplib');
}
