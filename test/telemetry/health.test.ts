import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import Router from '@koa/router';
import express from 'express';
import Koa from 'koa';
import request from 'supertest';
import { createProxy, type TcpProxy } from '../support/proxy.js';
import { healthHandler as expressHealth } from '../../adapters/express.js';
import { healthHandler as koaHealth } from '../../adapters/koa.js';
import { createMessaging, InvalidArgumentError, silentLogger, type Messaging, type MessagingHealth } from '../../entry/index.js';
import { brokerAddress } from '../support/broker-address.js';
import { consumerQueues } from '../support/leftover-queues.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

/** Resolves once `check` holds, asking again every 50 ms; fails after `ms` naming `what`. */
async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const found = deferred();
  let stop = false;
  const ask = async (): Promise<void> => {
    while (!stop) {
      if (await check()) return found.resolve();
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  void ask();
  try {
    await withTimeout(found.promise, ms, what);
  } finally {
    stop = true;
  }
}

describe('health', () => {
  const open: Messaging[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((messaging) => messaging.close({ timeoutMs: 1_000 })));
  });

  it('reports the memory broker, the consumers and the buffer, and a draining instance as live but not ready', async () => {
    const messaging = createMessaging({ broker: 'memory', logger: silentLogger });
    open.push(messaging);
    const entered = deferred();
    const release = deferred();
    const consumer = messaging.createConsumer({
      groupId: 'slow',
      topics: ['jobs'],
      handlers: { 'job.run': async () => { entered.resolve(); await release.promise; } },
    });
    await consumer.start();
    await messaging.publishEvent('job.run', {}, { topic: 'jobs' });
    await withTimeout(entered.promise, 2_000, 'the handler to start');
    const busy: MessagingHealth = messaging.health();
    assert.deepEqual({ ready: busy.ready, live: busy.live, state: busy.broker.state, closing: busy.closing }, { ready: true, live: true, state: 'connected', closing: false });
    assert.deepEqual(busy.consumers, [{ groupId: 'slow', topics: ['jobs'], running: true, inFlight: 1 }]);
    assert.equal(busy.eventsBuffered, 0);
    const closing = messaging.close();
    const draining = messaging.health();
    assert.deepEqual({ ready: draining.ready, live: draining.live, closing: draining.closing }, { ready: false, live: true, closing: true });
    const app = express().get('/readyz', expressHealth({ messaging })).get('/livez', expressHealth({ messaging, probe: 'live' }));
    await request(app).get('/readyz').expect(503);
    await request(app).get('/livez').expect(200);
    release.resolve();
    await closing;
    assert.equal(messaging.health().broker.state, 'closed');
  });

  it('refuses a misspelt probe, naming it', () => {
    assert.throws(() => expressHealth({ probe: 'alive' as 'live' }), (error: unknown) => error instanceof InvalidArgumentError && error.message.includes('`probe`'));
  });

  for (const name of ['redis', 'rabbitmq'] as const) {
    describe(`on ${name} behind a proxy`, function () {
      this.timeout(40_000);
      let proxy: TcpProxy | undefined;
      const queues = consumerQueues();
      before(async function () {
        await requireBroker(this, name);
        proxy = await createProxy(brokerAddress(name).port);
      });
      after(async () => {
        await proxy?.close();
        if (name === 'rabbitmq') await queues.delete();
      });

      it('turns the Express and Koa health routes to 503 while the broker is unreachable and back to 200 after', async () => {
        const url = new URL(brokers[name].url);
        url.hostname = '127.0.0.1';
        url.port = String(proxy!.port);
        const messaging = createMessaging({ broker: name, url: url.toString(), logger: silentLogger, brokerOptions: name === 'rabbitmq' ? { reconnectDelayMs: 200 } : {} });
        open.push(messaging);
        const topic = `health-${randomBytes(4).toString('hex')}`;
        queues.add(topic, [topic]);
        await messaging.createConsumer({ groupId: topic, topics: [topic], handlers: {} }).start();
        const router = new Router().get('/readyz', koaHealth({ messaging }));
        const koa = new Koa().use(router.routes()).callback();
        const app = express().get('/readyz', expressHealth({ messaging }));
        await request(app).get('/readyz').expect(200);
        await request(koa).get('/readyz').expect(200);

        proxy!.refuse(true);
        proxy!.cut();
        await until(async () => (await request(app).get('/readyz')).status === 503, 15_000, 'the Express route to answer 503');
        const down = await request(koa).get('/readyz').expect(503);
        assert.equal(down.body.broker.state, 'reconnecting');
        assert.equal(typeof down.body.broker.lastError.message, 'string');
        assert.equal(down.body.live, true);
        assert.ok(!JSON.stringify(down.body).includes('guest:guest'), 'no credentials in the health report');

        proxy!.refuse(false);
        await until(async () => (await request(app).get('/readyz')).status === 200, 20_000, 'the Express route to answer 200 again');
        await request(koa).get('/readyz').expect(200);
      });
    });
  }

  describe('on kafka', function () {
    this.timeout(40_000);
    before(async function () {
      await requireBroker(this, 'kafka');
    });

    it('is connected once a publish went through, and reconnecting with the error when the cluster is unreachable', async () => {
      const healthy = createMessaging({ broker: 'kafka', bootstrapServers: brokers.kafka.url, logger: silentLogger });
      open.push(healthy);
      assert.equal(healthy.health().broker.state, 'idle');
      await healthy.getProducer().send(`health-${randomBytes(4).toString('hex')}`, { ok: true });
      assert.deepEqual({ state: healthy.health().broker.state, ready: healthy.health().ready }, { state: 'connected', ready: true });

      const port = await freePort();
      const down = createMessaging({ broker: 'kafka', bootstrapServers: `127.0.0.1:${port}`, logger: silentLogger, publishTimeoutMs: 3_000 });
      open.push(down);
      await assert.rejects(down.getProducer().send('health-down', {}));
      const report = down.health();
      assert.deepEqual({ state: report.broker.state, ready: report.ready, live: report.live }, { state: 'reconnecting', ready: false, live: true });
      assert.match(report.broker.lastError?.message ?? '', /ECONNREFUSED/);
    });
  });
});

/** A port nothing listens on: one the system just handed out and took back. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
