import { strict as assert } from 'node:assert';
import { trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createMemoryBroker } from '../../adapters/memory/index.js';
import { createMessaging, silentLogger, type Messaging, type MessagingOptions } from '../../entry/index.js';
import { installOtel, named, type OtelSdk } from '../support/otel.js';
import { collector, withTimeout } from '../support/wait.js';

const envelopes = {
  eventwire: { envelope: 'eventwire' },
  'cloudevents binary': { envelope: 'cloudevents', cloudEventsMode: 'binary' },
  'cloudevents structured': { envelope: 'cloudevents', cloudEventsMode: 'structured' },
} as const satisfies Record<string, Pick<MessagingOptions, 'envelope' | 'cloudEventsMode'>>;
type EnvelopeName = keyof typeof envelopes;

/** A span's attributes, with the one value that differs per event (its id) checked and named. */
function shape(span: ReadableSpan, eventId: string): Record<string, unknown> {
  assert.equal(span.attributes['messaging.message.id'], eventId, `${span.name}: messaging.message.id is the event's id`);
  return { ...span.attributes, 'messaging.message.id': '<the event id>' };
}

describe('span attributes in every envelope', () => {
  let sdk: OtelSdk;
  const open: Messaging[] = [];
  before(() => {
    sdk = installOtel();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((messaging) => messaging.close()));
    sdk.reset();
  });
  after(() => sdk.uninstall());

  /** Publishes one event with publishEvent and one with emitEvent; returns the spans' attributes. */
  async function spansOf(envelope: EnvelopeName): Promise<{ send: unknown[]; process: unknown[] }> {
    const messaging = createMessaging({ broker: createMemoryBroker(), source: 'tests', logger: silentLogger, defaultTopic: 'jobs', ...envelopes[envelope] });
    open.push(messaging);
    const handled = collector<string>(2);
    await messaging.createConsumer({ groupId: 'g', topics: ['jobs'], handlers: { 'job.run': async (event) => handled.push(event.id) } }).start();
    const published = await messaging.publishEvent('job.run', { n: 1 });
    const emitted = messaging.emitEvent('job.run', { n: 2 });
    await withTimeout(handled.done, 2_000, 'the handler');
    await sdk.waitFor((spans) => named(spans, 'process jobs').length === 2 && named(spans, 'send jobs').length === 2, 2_000, 'the spans');
    // In-process brokers share one server: the next envelope's consumer must not compete with this one.
    await messaging.close();
    const ids = [published.id, emitted.id];
    const byId = (spans: ReadableSpan[]): ReadableSpan[] => ids.map((id) => {
      const span = spans.find((candidate) => candidate.attributes['messaging.message.id'] === id);
      assert.ok(span !== undefined, `${envelope}: a span with messaging.message.id ${id} among ${JSON.stringify(spans.map((s) => s.attributes))}`);
      return span;
    });
    return {
      send: byId(named(sdk.spans, 'send jobs')).map((span, index) => shape(span, ids[index]!)),
      process: byId(named(sdk.spans, 'process jobs')).map((span, index) => shape(span, ids[index]!)),
    };
  }

  it('gives the send and process spans of CloudEvents (binary and structured) the attributes of the default envelope', async () => {
    const plain = await spansOf('eventwire');
    for (const span of [...plain.send, ...plain.process]) assert.equal((span as Record<string, unknown>)['eventwire.event.name'], 'job.run');
    for (const name of ['cloudevents binary', 'cloudevents structured'] as const) {
      sdk.reset();
      assert.deepEqual(await spansOf(name), plain, `${name} against eventwire`);
    }
  });

  it('names a structured CloudEvent on its process span, not on a span the middleware made active', async () => {
    const messaging = createMessaging({ broker: createMemoryBroker(), source: 'tests', logger: silentLogger, defaultTopic: 'jobs', ...envelopes['cloudevents structured'] });
    open.push(messaging);
    const handled = collector<string>(1);
    await messaging.createConsumer({
      groupId: 'g',
      topics: ['jobs'],
      middleware: [(next) => (message, ctx) => trace.getTracer('test').startActiveSpan('middleware', (span) => next(message, ctx).finally(() => span.end()))],
      handlers: { 'job.run': async (event) => handled.push(event.id) },
    }).start();
    const event = await messaging.publishEvent('job.run', {});
    await withTimeout(handled.done, 2_000, 'the handler');
    await sdk.waitFor((spans) => named(spans, 'process jobs').length === 1, 2_000, 'the process span');
    const process = named(sdk.spans, 'process jobs')[0]!;
    assert.equal(process.attributes['eventwire.event.name'], 'job.run');
    assert.equal(process.attributes['messaging.message.id'], event.id);
    assert.equal(named(sdk.spans, 'middleware')[0]?.attributes['eventwire.event.name'], undefined);
  });
});
