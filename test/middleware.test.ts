import { strict as assert } from 'node:assert';
import { AsyncLocalStorage } from 'node:async_hooks';
import { request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { eventMiddleware as expressEvent } from '../adapters/express.js';
import { eventMiddleware as koaEvent } from '../adapters/koa.js';
import { configureMessaging, InvalidArgumentError, resetMessaging, type Messaging } from '../entry/index.js';
import type { EventMiddlewareOptions } from '../lib/http/route-event.js';
import { createTestMessaging, recordPublished, type PublishRecorder } from '../entry/testing.js';
import { memoryLogger } from './support/memory-logger.js';
import { deferred, withTimeout } from './support/wait.js';

type Reply = { status: number; body: unknown } | 'throw' | 'text';
interface Route {
  readonly path: string;
  readonly event: string;
  readonly options: EventMiddlewareOptions;
  readonly reply: Reply;
}

const topic = 'user-events';
const routes: Route[] = [
  { path: '/users', event: 'user.created', options: { topic, keyField: 'id' }, reply: { status: 201, body: { id: 42, email: 'a@example.com' } } },
  { path: '/nested', event: 'nested.key', options: { topic, keyField: 'user.id' }, reply: { status: 200, body: { user: { id: 'u-1' } } } },
  { path: '/fail', event: 'fail.happened', options: { topic }, reply: 'throw' },
  { path: '/bad', event: 'bad.request', options: { topic }, reply: { status: 400, body: { error: 'no' } } },
  { path: '/quiet', event: 'quiet', options: { topic, includeResult: false }, reply: { status: 200, body: { secret: 1 } } },
  { path: '/default', event: 'default.topic', options: {}, reply: { status: 200, body: { ok: true } } },
  { path: '/text', event: 'text.sent', options: { topic }, reply: 'text' },
  { path: '/nokey', event: 'no.key', options: { topic, keyField: 'missing' }, reply: { status: 200, body: { a: 1 } } },
  { path: '/big', event: 'too.big', options: { topic }, reply: { status: 200, body: { blob: 'x'.repeat(2_000) } } },
  { path: '/marker', event: 'marker', options: { topic }, reply: { status: 200, body: {} } },
];

function expressApp(messaging: Messaging) {
  const app = express();
  for (const route of routes) {
    app.post(route.path, expressEvent(route.event, { ...route.options, messaging }), (_req, res) => {
      if (route.reply === 'throw') throw new Error('route failed');
      if (route.reply === 'text') res.type('text').send('hello');
      else res.status(route.reply.status).json(route.reply.body);
    });
  }
  return app.listen(0);
}

function koaApp(messaging: Messaging) {
  const app = new Koa();
  const router = new Router();
  for (const route of routes) {
    router.post(route.path, koaEvent(route.event, { ...route.options, messaging }), async (ctx) => {
      if (route.reply === 'throw') throw new Error('route failed');
      if (route.reply === 'text') ctx.body = 'hello';
      else {
        ctx.status = route.reply.status;
        ctx.body = route.reply.body;
      }
    });
  }
  app.silent = true;
  app.use(router.routes());
  return app.listen(0);
}

for (const [framework, listen] of [['express', expressApp], ['koa', koaApp]] as const) {
  describe(`eventMiddleware (${framework})`, () => {
    let messaging: Messaging;
    let recorder: PublishRecorder;
    let server: Server;
    let logger: ReturnType<typeof memoryLogger>;

    beforeEach(() => {
      logger = memoryLogger();
      messaging = createTestMessaging({ defaultTopic: 'defaults', maxMessageBytes: 1_000, logger });
      recorder = recordPublished(messaging);
      server = listen(messaging);
    });
    afterEach(async () => {
      server.close();
      await messaging.close();
    });

    /** Publishing is ordered, so once the marker is in, anything published before it is too. */
    async function eventsUpToMarker(): Promise<string[]> {
      await request(server).post('/marker').expect(200);
      await recorder.waitForEvent('marker');
      return recorder.events.map((e) => e.name).filter((name) => name !== 'marker');
    }

    it('publishes the JSON result after the response, with the key from keyField', async () => {
      const order: string[] = [];
      server.on('request', (_req, res) => res.once('finish', () => order.push('response finished')));
      messaging.onPublished(() => order.push('published'));
      const response = await request(server).post('/users').expect(201);
      assert.deepEqual(response.body, { id: 42, email: 'a@example.com' });
      const event = await recorder.waitForEvent('user.created');
      assert.deepEqual(event.data, { id: 42, email: 'a@example.com' });
      assert.equal(event.source, 'test');
      const record = recorder.messages.find((m) => m.event?.id === event.id);
      assert.equal(record?.topic, topic);
      assert.equal(record?.key, '42');
      assert.deepEqual(order, ['response finished', 'published']);
    });

    it('reads a dotted keyField', async () => {
      await request(server).post('/nested').expect(200);
      await recorder.waitForEvent('nested.key');
      assert.equal(recorder.messages.find((m) => m.event?.name === 'nested.key')?.key, 'u-1');
    });

    it('publishes nothing when the route throws or answers non-2xx', async () => {
      await request(server).post('/fail').expect(500);
      await request(server).post('/bad').expect(400);
      assert.deepEqual(await eventsUpToMarker(), []);
    });

    it('sends data {} with includeResult: false, and for a non-JSON body', async () => {
      await request(server).post('/quiet').expect(200);
      await request(server).post('/text').expect(200);
      assert.deepEqual((await recorder.waitForEvent('quiet')).data, {});
      assert.deepEqual((await recorder.waitForEvent('text.sent')).data, {});
    });

    it('falls back to the configured defaultTopic', async () => {
      await request(server).post('/default').expect(200);
      await recorder.waitForMessage('defaults', { where: (m) => m.event?.name === 'default.topic' });
    });

    it('publishes without a key, and warns, when keyField is absent from the result', async () => {
      await request(server).post('/nokey').expect(200);
      await recorder.waitForEvent('no.key');
      assert.equal(recorder.messages.find((m) => m.event?.name === 'no.key')?.key, undefined);
      assert.ok(logger.lines.some((l) => l.level === 'warn' && l.message.includes('no.key')));
    });

    it('never fails the request when the event cannot be published; it logs and counts it', async () => {
      await request(server).post('/big').expect(200);
      assert.deepEqual(await eventsUpToMarker(), []);
      assert.equal(messaging.stats().eventsDropped, 1);
      assert.ok(logger.lines.some((l) => l.level === 'error' && l.message.includes('too.big')));
    });
  });
}

describe('eventMiddleware with an aborted request (express)', () => {
  it('still publishes once the route produced its result', async () => {
    const messaging = createTestMessaging();
    const recorder = recordPublished(messaging);
    const arrived = deferred();
    const clientGone = deferred();
    const app = express();
    app.post('/slow', expressEvent('slow.done', { topic, messaging }), async (req, res) => {
      req.once('close', () => clientGone.resolve());
      arrived.resolve();
      await clientGone.promise;
      res.status(201).json({ id: 1 });
    });
    const server = app.listen(0);
    const client = httpRequest({ port: (server.address() as AddressInfo).port, method: 'POST', path: '/slow' });
    client.on('error', () => {});
    client.end();
    await withTimeout(arrived.promise, 2_000, 'the request to arrive');
    client.destroy();
    const event = await recorder.waitForEvent('slow.done');
    assert.deepEqual(event.data, { id: 1 });
    server.close();
    await messaging.close();
  });
});

describe('eventMiddleware when the client left before the middleware ran', () => {
  /** Starts a POST, waits until `arrived`, then ends the connection and waits for the server to see it. */
  async function abandon(server: Server, path: string, arrived: Promise<void>, clientGone: Promise<void>): Promise<void> {
    const client = httpRequest({ port: (server.address() as AddressInfo).port, method: 'POST', path });
    client.on('error', () => {});
    client.end();
    await withTimeout(arrived, 2_000, 'the request to arrive');
    client.destroy();
    await withTimeout(clientGone, 2_000, 'the server to see the client leave');
  }

  it('still publishes the route\'s result (express: an earlier middleware waited)', async () => {
    const messaging = createTestMessaging();
    const recorder = recordPublished(messaging);
    const arrived = deferred();
    const clientGone = deferred();
    const app = express();
    app.post(
      '/late',
      async (req, res, next) => {
        res.once('close', () => clientGone.resolve());
        arrived.resolve();
        await clientGone.promise;
        next();
      },
      expressEvent('late.done', { topic, messaging }),
      (_req, res) => void res.status(201).json({ id: 2 }),
    );
    const server = app.listen(0);
    await abandon(server, '/late', arrived.promise, clientGone.promise);
    const event = await recorder.waitForEvent('late.done');
    assert.deepEqual(event.data, { id: 2 });
    server.close();
    await messaging.close();
  });

  it('still publishes the route\'s result (koa: the route finished after the client left)', async () => {
    const messaging = createTestMessaging();
    const recorder = recordPublished(messaging);
    const arrived = deferred();
    const clientGone = deferred();
    const app = new Koa();
    const router = new Router();
    router.post('/late', koaEvent('late.done', { topic, messaging }), async (ctx) => {
      ctx.res.once('close', () => clientGone.resolve());
      arrived.resolve();
      await clientGone.promise;
      ctx.status = 201;
      ctx.body = { id: 3 };
    });
    app.silent = true;
    app.use(router.routes());
    const server = app.listen(0);
    await abandon(server, '/late', arrived.promise, clientGone.promise);
    const event = await recorder.waitForEvent('late.done');
    assert.deepEqual(event.data, { id: 3 });
    server.close();
    await messaging.close();
  });
});

describe('eventMiddleware with a response that never emits close (a serverless adapter)', () => {
  /** Drops the 'close' events of every response, as mocked responses without a socket do. */
  function withoutClose(server: Server): Server {
    server.on('request', (_req, res: ServerResponse) => {
      const emit = res.emit.bind(res) as (event: string | symbol, ...args: unknown[]) => boolean;
      res.emit = ((event: string | symbol, ...args: unknown[]) => (event === 'close' ? false : emit(event, ...args))) as ServerResponse['emit'];
    });
    return server;
  }

  for (const [framework, listen] of [
    ['express', (messaging: Messaging) => withoutClose(expressApp(messaging))],
    ['koa', (messaging: Messaging) => withoutClose(koaApp(messaging))],
  ] as const) {
    it(`publishes once the response finished (${framework})`, async () => {
      const messaging = createTestMessaging({ defaultTopic: 'defaults' });
      const recorder = recordPublished(messaging);
      const server = listen(messaging);
      await request(server).post('/users').expect(201);
      const event = await recorder.waitForEvent('user.created');
      assert.deepEqual(event.data, { id: 42, email: 'a@example.com' });
      server.close();
      await messaging.close();
      assert.equal(recorder.events.filter((e) => e.name === 'user.created').length, 1);
    });
  }
});

describe('eventMiddleware options', () => {
  afterEach(() => resetMessaging());

  for (const [label, make] of [['express', expressEvent], ['koa', koaEvent]] as const) {
    it(`rejects bad options up front (${label})`, () => {
      const bad: [string, unknown, unknown][] = [
        ['name', '', {}],
        ['topic', 'x', { topic: 'not a topic!' }],
        ['keyField', 'x', { keyField: 3 }],
        ['includeResult', 'x', { includeResult: 'yes' }],
        ['topc', 'x', { topc: 'a' }],
        ['messaging', 'x', { messaging: {} }],
      ];
      for (const [argument, name, options] of bad) {
        assert.throws(
          () => make(name as string, options as EventMiddlewareOptions),
          (error: unknown) => error instanceof InvalidArgumentError && error.argument === argument,
          `option ${argument}`,
        );
      }
    });
  }

  it('requires a topic when the configured instance has no defaultTopic', () => {
    configureMessaging({ broker: 'memory' });
    assert.throws(() => expressEvent('user.created'), /pass \{ topic \}/);
  });

  it('publishes through the configured instance by default', async () => {
    configureMessaging({ broker: 'memory', defaultTopic: 'user-events', source: 'user-service' });
    const recorder = recordPublished();
    const app = express();
    app.post('/users/register', expressEvent('user.created', { keyField: 'id' }), (_req, res) => {
      res.status(201).json({ id: 1, email: 'user@example.com' });
    });
    await request(app).post('/users/register').expect(201);
    const event = await recorder.waitForEvent('user.created');
    assert.equal(event.source, 'user-service');
  });
});

describe('eventMiddleware keeps the request’s async context for the publish', () => {
  // An AsyncLocalStorage store set around the route (a request id, a trace context) is current
  // when the event is emitted, so logs and traces of the publish join the request's, also when
  // the response ended because the client went away.
  const storage = new AsyncLocalStorage<string>();

  /** A messaging instance that records the store current at each emitEvent. */
  function observed(): { messaging: Messaging; seen: (string | undefined)[]; recorder: PublishRecorder } {
    const inner = createTestMessaging();
    const seen: (string | undefined)[] = [];
    const messaging: Messaging = {
      ...inner,
      emitEvent: (name, data, options) => {
        seen.push(storage.getStore());
        return inner.emitEvent(name, data, options);
      },
    };
    return { messaging, seen, recorder: recordPublished(inner) };
  }

  it('express: after the response, and after the client left', async () => {
    const { messaging, seen, recorder } = observed();
    const clientGone = deferred();
    const arrived = deferred();
    const app = express();
    app.use((req, _res, next) => storage.run(String(req.headers['x-request-id']), next));
    app.post('/fast', expressEvent('fast.done', { topic, messaging }), (_req, res) => void res.status(201).json({ id: 1 }));
    app.post('/slow', expressEvent('slow.done', { topic, messaging }), async (req, res) => {
      req.once('close', () => clientGone.resolve());
      arrived.resolve();
      await clientGone.promise;
      res.status(201).json({ id: 2 });
    });
    const server = app.listen(0);
    try {
      await request(server).post('/fast').set('x-request-id', 'req-fast').expect(201);
      await recorder.waitForEvent('fast.done');
      const client = httpRequest({ port: (server.address() as AddressInfo).port, method: 'POST', path: '/slow', headers: { 'x-request-id': 'req-slow' } });
      client.on('error', () => {});
      client.end();
      await withTimeout(arrived.promise, 2_000, 'the request to arrive');
      client.destroy();
      await recorder.waitForEvent('slow.done');
      assert.deepEqual(seen, ['req-fast', 'req-slow']);
    } finally {
      server.close();
      await messaging.close();
    }
  });

  it('koa: after the response', async () => {
    const { messaging, seen, recorder } = observed();
    const app = new Koa();
    const router = new Router();
    app.use((ctx, next) => storage.run(String(ctx.get('x-request-id')), next));
    router.post('/fast', koaEvent('fast.done', { topic, messaging }), (ctx) => {
      ctx.status = 201;
      ctx.body = { id: 1 };
    });
    app.use(router.routes());
    const server = app.listen(0);
    try {
      await request(server).post('/fast').set('x-request-id', 'req-koa').expect(201);
      await recorder.waitForEvent('fast.done');
      assert.deepEqual(seen, ['req-koa']);
    } finally {
      server.close();
      await messaging.close();
    }
  });
});
