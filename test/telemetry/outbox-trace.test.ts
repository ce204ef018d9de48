import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createServer, type RequestListener } from 'node:http';
import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import express from 'express';
import request from 'supertest';
import { createMemoryBroker, createMemoryServer } from '../../adapters/memory/index.js';
import { eventMiddleware } from '../../adapters/express.js';
import { createMessaging, silentLogger, type Messaging, type MessagingOptions } from '../../entry/index.js';
import { createOutbox, type Outbox, type Relay } from '../../outbox/index.js';
import { installOtel, named, type OtelSdk } from '../support/otel.js';
import { createTestSchema, inTransaction, type TestSchema } from '../support/postgres.js';
import { requireBroker } from '../support/require-broker.js';

const WAIT = 10_000;

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name);
  assert.equal(found.length, 1, `expected one span "${name}", got ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}

/**
 * The outbox stores an event now and a relay sends it later, in another context (often another
 * process): the trace must still run from the code that staged the event to the handler. The
 * staging ends a PRODUCER `create` span whose context the row keeps; the relay's `send` span
 * links to it; the consumer's `process` span is its child.
 */
describe('tracing through the outbox (PostgreSQL, memory broker)', () => {
  let sdk: OtelSdk;
  let db: TestSchema;
  let outbox: Outbox;
  const server = createMemoryServer();
  const open: Messaging[] = [];
  let relay: Relay | undefined;
  const topic = `outbox-trace-${randomBytes(4).toString('hex')}`;

  const instance = (source: string, extra: Omit<MessagingOptions, 'broker'> = {}): Messaging => {
    const messaging = createMessaging({ broker: createMemoryBroker({ server }), source, logger: silentLogger, ...extra });
    open.push(messaging);
    return messaging;
  };

  before(async function () {
    await requireBroker(this, 'postgres');
    db = await createTestSchema('outboxtrace');
    outbox = createOutbox({ pool: db.pool, table: `${db.schema}.outbox` });
    await outbox.migrate();
    sdk = installOtel();
  });
  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
    await Promise.all(open.splice(0).map((messaging) => messaging.close({ timeoutMs: 2_000 })));
    sdk.reset();
  });
  after(async () => {
    await sdk?.uninstall();
    await db?.drop();
  });

  /** A worker in its own instance that handles `order.placed`, and a relay in another one. */
  async function startWorkerAndRelay(groupId: string): Promise<void> {
    const worker = instance('worker');
    await worker.createConsumer({ groupId, topics: [topic], handlers: { 'order.placed': async () => {} } }).start();
    relay = outbox.startRelay({ messaging: instance('relay') });
  }

  /** Checks the chain parent → create → (row) → send (linked) → process, and returns the create span. */
  async function checkChain(parent: ReadableSpan | undefined, parentName: string): Promise<ReadableSpan> {
    await sdk.waitFor((spans) => named(spans, `process ${topic}`).length === 1 && named(spans, parentName).length === 1, WAIT, 'the handler');
    const origin = parent ?? only(sdk.spans, parentName);
    const create = only(sdk.spans, `create ${topic}`);
    const send = only(sdk.spans, `send ${topic}`);
    const processed = only(sdk.spans, `process ${topic}`);
    assert.equal(create.kind, SpanKind.PRODUCER);
    assert.equal(create.parentSpanContext?.spanId, origin.spanContext().spanId, 'create is a child of the staging code');
    assert.equal(create.attributes['messaging.operation.type'], 'create');
    assert.equal(create.attributes['messaging.destination.name'], topic);
    assert.equal(create.attributes['eventwire.event.name'], 'order.placed');
    assert.equal(create.attributes['messaging.message.id'], processed.attributes['messaging.message.id']);
    assert.deepEqual(send.links.map((link) => link.context.spanId), [create.spanContext().spanId], "the relay's send links to the creation");
    assert.notEqual(send.spanContext().traceId, origin.spanContext().traceId, "the relay's send runs in the relay's own context");
    assert.equal(processed.spanContext().traceId, origin.spanContext().traceId, "the handler runs in the staging code's trace");
    assert.equal(processed.parentSpanContext?.spanId, create.spanContext().spanId);
    return create;
  }

  it('outbox.stage() in a transaction: the handler continues the trace of the code that staged', async () => {
    await startWorkerAndRelay(`stage-${topic}`);
    await trace.getTracer('test').startActiveSpan('place order', async (span) => {
      await inTransaction(db.pool, (client) => outbox.stage(client, 'order.placed', { id: 1 }, { topic, key: 1 }));
      span.end();
    });
    const create = await checkChain(undefined, 'place order');
    assert.equal(create.attributes['messaging.system'], undefined, 'stage() does not know which broker the relay uses');
  });

  it('outbox-only eventMiddleware: the handler continues the request trace, after the response', async () => {
    const app = express();
    const staging = instance('api', { outbox, defaultTopic: topic });
    app.post('/orders', eventMiddleware('order.placed', { topic, keyField: 'id', messaging: staging }), (_req, res) => {
      res.status(201).json({ id: 7 });
    });
    await startWorkerAndRelay(`route-${topic}`);
    // As HTTP instrumentation does: a SERVER span, active while the app runs, ended with the response.
    const instrumented: RequestListener = (req, res) => {
      const span = trace.getTracer('http').startSpan(`${req.method ?? 'GET'} ${req.url ?? '/'}`, { kind: SpanKind.SERVER });
      res.on('finish', () => span.end());
      context.with(trace.setSpan(ROOT_CONTEXT, span), () => app(req, res));
    };
    await request(createServer(instrumented)).post('/orders').expect(201);
    const create = await checkChain(undefined, 'POST /orders');
    assert.equal(create.attributes['messaging.system'], 'memory');
  });
});
