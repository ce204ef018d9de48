import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createMemoryBroker } from '../../adapters/memory/index.js';
import { createMessaging, InvalidArgumentError, silentLogger, type Messaging, type MessagingOptions, type OutgoingMessage } from '../../entry/index.js';
import { installMetrics, installOtel, named, type OtelSdk } from '../support/otel.js';
import { collector, deferred, withTimeout } from '../support/wait.js';

function memoryInstance(open: Messaging[], extra: Omit<MessagingOptions, 'broker'> = {}): Messaging {
  const messaging = createMessaging({ broker: createMemoryBroker(), source: 'tests', logger: silentLogger, defaultTopic: 'jobs', ...extra });
  open.push(messaging);
  return messaging;
}

describe('tracing options', () => {
  const open: Messaging[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((messaging) => messaging.close()));
  });

  it('adds nothing to the headers when no OpenTelemetry SDK is registered', async () => {
    const messaging = memoryInstance(open);
    const sent = deferred<OutgoingMessage>();
    messaging.onPublished((_topic, messages) => sent.resolve(messages[0]!));
    await messaging.publishEvent('job.run', {});
    const message = await withTimeout(sent.promise, 2_000, 'the publish');
    assert.deepEqual(Object.keys(message.headers).sort(), ['eventwire-event', 'eventwire-id']);
  });

  it('a consumer started before any SDK was registered traces and times the deliveries that follow its registration', async () => {
    const messaging = memoryInstance(open);
    const handled = collector<number>(2);
    const first = deferred<undefined>();
    await messaging.createConsumer({ groupId: 'late-sdk', topics: ['late'], handlers: { 'job.run': async (event) => (handled.push((event.data as { n: number }).n), first.resolve(undefined)) } }).start();
    await messaging.publishEvent('job.run', { n: 1 }, { topic: 'late' });
    await withTimeout(first.promise, 2_000, 'the delivery before the SDK');
    const sdk = installOtel();
    const meters = installMetrics();
    try {
      await messaging.publishEvent('job.run', { n: 2 }, { topic: 'late' });
      assert.deepEqual(await withTimeout(handled.done, 2_000, 'the delivery after the SDK'), [1, 2]);
      await sdk.waitFor((spans) => named(spans, 'process late').length > 0, 2_000, 'the process span of the second delivery');
      assert.equal(named(sdk.spans, 'process late').length, 1, 'only the delivery after the registration is traced');
      const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      for (const span of [...named(sdk.spans, 'process late'), ...named(sdk.spans, 'send late')]) {
        const { name, version: scopeVersion } = span.instrumentationScope;
        assert.deepEqual({ name, version: scopeVersion }, { name: 'eventwire', version }, `the instrumentation scope of ${span.name}`);
      }
      const durations = (await meters.collect()).get('messaging.process.duration') ?? [];
      const here = durations.filter((point) => point.attributes['messaging.destination.name'] === 'late');
      assert.equal(here.reduce((sum, point) => sum + point.value, 0), 1, 'only the delivery after the registration is timed');
    } finally {
      await meters.uninstall();
      await sdk.uninstall();
    }
  });

  it('refuses a misspelt telemetry option, naming it', () => {
    assert.throws(() => createMessaging({ broker: 'memory', telemetry: { processSpanParent: 'child' as 'link' } }), (error: unknown) =>
      error instanceof InvalidArgumentError && error.message.includes('telemetry.processSpanParent'));
    assert.throws(() => createMessaging({ broker: 'memory', telemetry: { tracng: true } as never }), InvalidArgumentError);
  });

  describe('with the SDK', () => {
    let sdk: OtelSdk;
    before(() => {
      sdk = installOtel();
    });
    afterEach(() => sdk.reset());
    after(() => sdk.uninstall());

    it('links the process span to the producer instead of parenting it with processSpanParent: link', async () => {
      const messaging = memoryInstance(open, { telemetry: { processSpanParent: 'link' } });
      const handled = collector<string>(1);
      await messaging.createConsumer({ groupId: 'g', topics: ['jobs'], handlers: { 'job.run': async () => handled.push('ok') } }).start();
      const requestTrace = await trace.getTracer('test').startActiveSpan('request', async (span) => {
        await messaging.publishEvent('job.run', {});
        span.end();
        return span.spanContext().traceId;
      });
      // The SDK is global: spans that other test files' instances end late (a slow handler on a
      // topic also named `jobs`) may be recorded here too, so this test's spans are picked by trace.
      const linked = (spans: readonly ReadableSpan[]) => named(spans, 'process jobs').find((span) => span.links[0]?.context.traceId === requestTrace);
      await sdk.waitFor((spans) => linked(spans) !== undefined, 2_000, 'the process span linked to the request');
      const send = named(sdk.spans, 'send jobs').find((span) => span.spanContext().traceId === requestTrace)!;
      assert.ok(send, 'the send span of this request');
      const process = linked(sdk.spans)!;
      assert.equal(process.parentSpanContext, undefined);
      assert.notEqual(process.spanContext().traceId, send.spanContext().traceId);
      assert.equal(process.links[0]?.context.spanId, send.spanContext().spanId);
    });

    it('ends the send span of an event the full buffer refused with an error', async () => {
      const messaging = memoryInstance(open, { maxBufferedEvents: 0 });
      trace.getTracer('test').startActiveSpan('request', (span) => {
        messaging.emitEvent('job.run', {});
        span.end();
      });
      await sdk.waitFor((spans) => named(spans, 'send jobs').length === 1, 2_000, 'the send span');
      const send = named(sdk.spans, 'send jobs')[0]!;
      assert.equal(send.status.code, SpanStatusCode.ERROR);
      assert.equal(send.attributes['error.type'], 'buffer_full');
      assert.equal(send.parentSpanContext?.spanId, named(sdk.spans, 'request')[0]!.spanContext().spanId);
    });

    it('reports nothing and leaves headers alone with telemetry: false', async () => {
      const messaging = memoryInstance(open, { telemetry: false });
      const handled = collector<Record<string, string>>(1);
      await messaging.createConsumer({
        groupId: 'g',
        topics: ['jobs'],
        handlers: { 'job.run': async (_event, ctx) => handled.push({ ...ctx.headers }) },
      }).start();
      await trace.getTracer('test').startActiveSpan('request', async (span) => {
        await messaging.publishEvent('job.run', {});
        span.end();
      });
      const [headers] = await withTimeout(handled.done, 2_000, 'the handler');
      assert.equal(headers?.traceparent, undefined);
      assert.deepEqual(sdk.spans.map((span) => span.name), ['request']);
    });
  });
});
