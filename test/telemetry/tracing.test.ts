import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage as HttpRequest, type RequestListener, type ServerResponse } from 'node:http';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import Router from '@koa/router';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { eventMiddleware as expressEvent } from '../../adapters/express.js';
import { eventMiddleware as koaEvent } from '../../adapters/koa.js';
import { createMessaging, silentLogger, type Event, type Messaging, type MessagingOptions, type OutgoingMessage } from '../../entry/index.js';
import { installOtel, named, type OtelSdk } from '../support/otel.js';
import { consumerQueues } from '../support/leftover-queues.js';
import { requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';
import { traceTargets } from './trace-targets.js';

/** Wraps an app the way HTTP instrumentation does: a SERVER span, active while the app runs, ended when the response is. */
function instrumented(app: RequestListener): RequestListener {
  return (req: HttpRequest, res: ServerResponse) => {
    const span = trace.getTracer('http').startSpan(`${req.method ?? 'GET'} ${req.url ?? '/'}`, { kind: SpanKind.SERVER });
    res.on('finish', () => span.end());
    context.with(trace.setSpan(ROOT_CONTEXT, span), () => app(req, res));
  };
}

function parentOf(span: ReadableSpan): string | undefined {
  return span.parentSpanContext?.spanId;
}

function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = named(spans, name);
  assert.equal(found.length, 1, `expected one span "${name}", got ${found.length}: ${spans.map((s) => s.name).join(', ')}`);
  return found[0]!;
}

for (const target of traceTargets) {
  describe(`tracing on ${target.name}`, function () {
    this.timeout(target.hopMs * 4);
    let sdk: OtelSdk | undefined;
    const open: Messaging[] = [];
    const suffix = randomBytes(4).toString('hex');
    const topic = (label: string): string => `otel-${label}-${suffix}`;
    const queues = consumerQueues();
    const instance = (source: string, extra: Omit<MessagingOptions, 'broker'> = {}): Messaging => {
      const messaging = createMessaging({ ...target.options(), source, logger: silentLogger, ...extra });
      open.push(messaging);
      return messaging;
    };

    before(async function () {
      if (target.name !== 'memory') await requireBroker(this, target.name);
      sdk = installOtel();
    });
    afterEach(async () => {
      await Promise.all(open.splice(0).map((messaging) => messaging.close({ timeoutMs: 2_000 })));
      sdk?.reset();
    });
    after(async () => {
      await sdk?.uninstall();
      if (target.name === 'rabbitmq') await queues.delete();
    });

    /** A worker: `user.created` on `users` publishes `order.created` on `orders`, whose handler opens a span of its own. */
    async function startWorker(users: string, orders: string): Promise<void> {
      const worker = instance('worker');
      queues.add(`orders-${users}`, [users]);
      queues.add(`mail-${orders}`, [orders]);
      await worker.createConsumer({
        groupId: `orders-${users}`,
        topics: [users],
        handlers: {
          'user.created': async (event: Event<{ id: number }>) => {
            await worker.publishEvent('order.created', { userId: event.data.id }, { topic: orders, key: event.data.id });
          },
        },
      }).start();
      await worker.createConsumer({
        groupId: `mail-${orders}`,
        topics: [orders],
        handlers: { 'order.created': async () => trace.getTracer('user').startActiveSpan('user work', (span) => span.end()) },
      }).start();
    }

    async function checkChain(sdk: OtelSdk, users: string, orders: string, serverName: string): Promise<void> {
      const expected = ['user work', `process ${orders}`, `send ${orders}`, `process ${users}`, `send ${users}`, serverName];
      await sdk.waitFor((spans) => expected.every((name) => named(spans, name).length === 1), target.hopMs * 3, 'the follow-up handler');
      const { spans } = sdk;
      const server = only(spans, serverName);
      const sendUsers = only(spans, `send ${users}`);
      const processUsers = only(spans, `process ${users}`);
      const sendOrders = only(spans, `send ${orders}`);
      const processOrders = only(spans, `process ${orders}`);
      const work = only(spans, 'user work');
      for (const span of [sendUsers, processUsers, sendOrders, processOrders, work]) {
        assert.equal(span.spanContext().traceId, server.spanContext().traceId, `${span.name} is in the request's trace`);
      }
      assert.equal(parentOf(sendUsers), server.spanContext().spanId);
      assert.equal(parentOf(processUsers), sendUsers.spanContext().spanId);
      assert.equal(parentOf(sendOrders), processUsers.spanContext().spanId);
      assert.equal(parentOf(processOrders), sendOrders.spanContext().spanId);
      assert.equal(parentOf(work), processOrders.spanContext().spanId);

      assert.equal(sendUsers.kind, SpanKind.PRODUCER);
      assert.equal(processUsers.kind, SpanKind.CONSUMER);
      assert.equal(sendUsers.attributes['messaging.system'], target.name);
      assert.equal(sendUsers.attributes['messaging.destination.name'], users);
      assert.equal(sendUsers.attributes['messaging.operation.type'], 'send');
      assert.equal(sendUsers.attributes['eventwire.event.name'], 'user.created');
      assert.equal(typeof sendUsers.attributes['messaging.message.id'], 'string');
      assert.equal(processUsers.attributes['messaging.system'], target.name);
      assert.equal(processUsers.attributes['messaging.operation.type'], 'process');
      assert.equal(processUsers.attributes['messaging.operation.name'], 'process');
      assert.equal(processUsers.attributes['messaging.consumer.group.name'], `orders-${users}`);
      assert.equal(processUsers.attributes['messaging.message.id'], sendUsers.attributes['messaging.message.id']);
      assert.equal(processOrders.attributes['eventwire.event.name'], 'order.created');
      if (target.name === 'kafka') {
        assert.equal(typeof processOrders.attributes['messaging.destination.partition.id'], 'string');
        assert.equal(typeof processOrders.attributes['messaging.kafka.offset'], 'number');
        assert.equal(processOrders.attributes['messaging.kafka.message.key'], '7');
      }
      if (target.name !== 'memory') assert.equal(typeof sendUsers.attributes['server.address'], 'string');
    }

    it('follows an Express request through eventMiddleware, a handler and its follow-up event in one trace', async () => {
      const users = topic('x-users');
      const orders = topic('x-orders');
      await startWorker(users, orders);
      const api = instance('api');
      const app = express();
      app.post('/users', eventMiddleware(expressEvent, api, users), (_req, res) => {
        res.status(201).json({ id: 7 });
      });
      await request(createServer(instrumented(app))).post('/users').expect(201);
      await checkChain(sdk!, users, orders, 'POST /users');
    });

    it('follows a Koa request the same way', async () => {
      const users = topic('k-users');
      const orders = topic('k-orders');
      await startWorker(users, orders);
      const api = instance('api');
      const router = new Router();
      router.post('/users', koaEvent('user.created', { topic: users, keyField: 'id', messaging: api }), (ctx) => {
        ctx.status = 201;
        ctx.body = { id: 7 };
      });
      const app = new Koa().use(router.routes());
      await request(createServer(instrumented(app.callback()))).post('/users').expect(201);
      await checkChain(sdk!, users, orders, 'POST /users');
    });

    it('shows each retry and the dead letter on the process span, and the dead letter keeps the trace headers', async () => {
      const jobs = topic('jobs');
      const worker = instance('worker');
      const published = new Map<string, OutgoingMessage>();
      const deadLetter = deferred<OutgoingMessage>();
      worker.onPublished((to, messages) => {
        if (to === `${jobs}.dlq`) deadLetter.resolve(messages[0]!);
      });
      queues.add(`jobs-${suffix}`, [jobs]);
      await worker.createConsumer({
        groupId: `jobs-${suffix}`,
        topics: [jobs],
        maxRetries: 2,
        retryDelayMs: 1,
        handlers: { 'job.run': async () => { throw new TypeError('no such job'); } },
      }).start();
      const api = instance('api');
      api.onPublished((to, messages) => {
        if (to === jobs) published.set(to, messages[0]!);
      });
      await trace.getTracer('test').startActiveSpan('request', async (span) => {
        await api.publishEvent('job.run', { id: 1 }, { topic: jobs });
        span.end();
      });
      const dead = await withTimeout(deadLetter.promise, target.hopMs * 2, 'the dead letter');
      await sdk!.waitFor((spans) => named(spans, `process ${jobs}`).length === 1, target.hopMs, 'the process span');
      const process = only(sdk!.spans, `process ${jobs}`);
      const request = only(sdk!.spans, 'request');
      assert.equal(process.spanContext().traceId, request.spanContext().traceId);
      assert.equal(process.status.code, SpanStatusCode.ERROR);
      assert.equal(process.attributes['error.type'], 'TypeError');
      assert.equal(process.attributes['eventwire.dead_letter.reason'], 'handler-error');
      assert.equal(process.attributes['eventwire.dead_letter.topic'], `${jobs}.dlq`);
      assert.equal(process.attributes['eventwire.attempts'], 3);
      const retries = process.events.filter((event) => event.name === 'eventwire.retry');
      assert.deepEqual(retries.map((event) => event.attributes?.['eventwire.attempt']), [1, 2]);
      assert.equal(process.events.filter((event) => event.name === 'exception').length, 3);
      assert.equal(process.events.filter((event) => event.name === 'eventwire.dead_letter').length, 1);
      const sendDead = only(sdk!.spans, `send ${jobs}.dlq`);
      assert.equal(parentOf(sendDead), process.spanContext().spanId);
      const original = published.get(jobs);
      assert.equal(typeof original?.headers.traceparent, 'string');
      assert.equal(dead.headers.traceparent, original?.headers.traceparent);
    });
  });
}

/** Express's eventMiddleware for `user.created` on `topic`, keyed by the result's id. */
function eventMiddleware(make: typeof expressEvent, messaging: Messaging, topic: string) {
  return make('user.created', { topic, keyField: 'id', messaging });
}
