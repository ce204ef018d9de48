import { strict as assert } from 'node:assert';
import { diag, DiagLogLevel, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createMemoryBroker } from '../../adapters/memory/index.js';
import { createMessaging, silentLogger, type Broker, type Messaging } from '../../entry/index.js';
import { installOtel, named, type OtelSdk } from '../support/otel.js';
import { deferred, withTimeout } from '../support/wait.js';

/** A memory broker whose publishes answer as `publish` says. */
function brokerWith(publish: Broker['publish']): Broker {
  return { ...createMemoryBroker(), publish };
}

/** Resolves after the current I/O callbacks: the buffer's drain has started by then. */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function assertDroppedAtClose(span: ReadableSpan): void {
  assert.equal(span.status.code, SpanStatusCode.ERROR, span.name);
  assert.match(span.status.message ?? '', /dropped at close/);
  assert.equal(span.attributes['error.type'], 'dropped_at_close');
  assert.deepEqual(
    span.events.filter((event) => event.name === 'eventwire.dropped').map((event) => event.attributes?.['eventwire.dropped.reason']),
    ['closed'],
  );
}

describe('send spans of events dropped at close', () => {
  let sdk: OtelSdk;
  const warnings: string[] = [];
  const open: Messaging[] = [];
  before(() => {
    sdk = installOtel();
    // The SDK warns when a span is ended (or changed) twice: each span must end once.
    const collect = (message: string): void => void warnings.push(message);
    diag.setLogger({ error: collect, warn: collect, info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((messaging) => messaging.close({ timeoutMs: 0 })));
    sdk.reset();
    warnings.length = 0;
  });
  after(async () => {
    diag.disable();
    await sdk.uninstall();
  });

  function instance(broker: Broker): Messaging {
    const messaging = createMessaging({ broker, source: 'tests', logger: silentLogger, defaultTopic: 'jobs', publishTimeoutMs: 300 });
    open.push(messaging);
    return messaging;
  }

  it('ends the spans of the batch in flight and of the events queued behind it, once, with an error', async () => {
    const attempted = deferred();
    const messaging = instance(brokerWith(() => (attempted.resolve(), new Promise<void>(() => {}))));
    trace.getTracer('test').startActiveSpan('request', (span) => {
      messaging.emitEvent('job.run', { n: 1 });
      span.end();
    });
    await withTimeout(attempted.promise, 2_000, 'the first publish');
    messaging.emitEvent('job.run', { n: 2 });
    messaging.emitEvent('job.run', { n: 3 });

    await messaging.close({ timeoutMs: 20 });

    const sends = named(sdk.spans, 'send jobs');
    assert.equal(sends.length, 3, 'every send span ended at close');
    for (const span of sends) assertDroppedAtClose(span);
    assert.equal(messaging.stats().eventsDropped, 3);
    // The in-flight publish times out later (publishTimeoutMs): its span stays the one ended at close.
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.deepEqual([...sdk.started].sort(), sdk.spans.map((span) => span.name).sort(), 'no span is left un-ended');
    assert.equal(named(sdk.spans, 'send jobs').length, 3);
    assert.deepEqual(warnings, []);
  });

  it('ends the span of a retry in flight at close, after the refused attempt ended its own', async () => {
    let calls = 0;
    const retried = deferred();
    const messaging = instance(
      brokerWith(() => {
        calls += 1;
        if (calls === 1) return Promise.reject(new Error('connection refused'));
        retried.resolve();
        return new Promise<void>(() => {});
      }),
    );
    messaging.emitEvent('job.run', {});
    await withTimeout(retried.promise, 2_000, 'the retry');

    await messaging.close({ timeoutMs: 0 });

    const sends = named(sdk.spans, 'send jobs');
    assert.equal(sends.length, 2);
    assert.equal(sends[0]?.status.code, SpanStatusCode.ERROR);
    assert.match(sends[0]?.status.message ?? '', /connection refused/);
    assertDroppedAtClose(sends[1]!);
    assert.equal(messaging.stats().eventsDropped, 1);
    assert.deepEqual([...sdk.started].sort(), sdk.spans.map((span) => span.name).sort(), 'no span is left un-ended');
    assert.deepEqual(warnings, []);
  });

  it('starts no send span in outbox-only mode, where the relay publishes (and traces) the event', async () => {
    const staged: string[] = [];
    const outbox = { checkMessage: () => {}, stageMessages: async (topic: string) => void staged.push(topic) };
    const messaging = createMessaging({ broker: createMemoryBroker(), source: 'tests', logger: silentLogger, defaultTopic: 'jobs', outbox });
    open.push(messaging);
    trace.getTracer('test').startActiveSpan('request', (span) => {
      messaging.emitEvent('job.run', {});
      span.end();
    });
    await messaging.close({ timeoutMs: 2_000 });
    assert.deepEqual(staged, ['jobs']);
    assert.deepEqual([...sdk.started].sort(), sdk.spans.map((span) => span.name).sort(), 'no span is left un-ended');
    assert.deepEqual(named(sdk.spans, 'send jobs'), []);
  });

  it('ends an acknowledged event\'s span once, without an error', async () => {
    const messaging = instance(createMemoryBroker());
    messaging.emitEvent('job.run', {});
    await messaging.close({ timeoutMs: 2_000 });
    await nextTurn();
    const sends = named(sdk.spans, 'send jobs');
    assert.equal(sends.length, 1);
    assert.equal(sends[0]?.status.code, SpanStatusCode.UNSET);
    assert.deepEqual(sdk.started, ['send jobs']);
    assert.deepEqual(warnings, []);
  });
});
