import { strict as assert } from 'node:assert';
import type { Server } from 'node:http';
import express from 'express';
import request from 'supertest';
import { eventMiddleware } from '../../adapters/express.js';
import { createTestMessaging, recordPublished } from '../../entry/testing.js';
import { InvalidArgumentError, type Messaging } from '../../entry/index.js';
import { createOutbox, type Outbox, type Relay } from '../../outbox/index.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { requireBroker } from '../support/require-broker.js';
import { withTimeout } from '../support/wait.js';

const WAIT = 10_000;

describe('outbox-only mode (PostgreSQL, memory broker)', () => {
  let db: TestSchema;
  let table: string;
  let outbox: Outbox;
  let messaging: Messaging;
  let relay: Relay | undefined;

  before(async function () {
    await requireBroker(this, 'postgres');
    db = await createTestSchema('outboxonly');
    table = `${db.schema}.outbox`;
    outbox = createOutbox({ pool: db.pool, table });
    await outbox.migrate();
  });

  beforeEach(() => {
    messaging = createTestMessaging({ outbox, defaultTopic: 'orders' });
  });

  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
    await messaging.close();
    await db.pool.query(`DELETE FROM ${table}`);
  });

  after(async () => {
    await db?.drop();
  });

  const staged = async (): Promise<{ id: string; type: string; key: string | null; topic: string }[]> =>
    db.rows(`SELECT id::text AS id, type, key, topic FROM ${table} ORDER BY seq`);

  it('publishEvent resolves once the event is stored, sends nothing, and the relay on the same instance publishes it once', async () => {
    const recorder = recordPublished(messaging);
    const event = await messaging.publishEvent('order.placed', { id: 5 }, { key: 5 });
    assert.deepEqual(await staged(), [{ id: event.id, type: 'order.placed', key: '5', topic: 'orders' }]);
    assert.equal(recorder.messages.length, 0, 'not sent directly');
    relay = outbox.startRelay({ messaging });
    assert.deepEqual(await recorder.waitForEvent('order.placed', { timeoutMs: WAIT }), event);
    await withTimeout(waitFor(async () => (await staged()).length === 0), WAIT, 'the row to be deleted');
    assert.equal(recorder.messages.length, 1);
  });

  it('emitEvent and eventMiddleware stage in the background, flushed by close()', async () => {
    const app = express();
    app.post('/orders', eventMiddleware('order.placed', { keyField: 'id', messaging }), (_req, res) => {
      res.status(201).json({ id: 'a-1' });
    });
    const server: Server = app.listen(0);
    try {
      await request(server).post('/orders').expect(201);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    await withTimeout(waitFor(async () => (await staged()).length === 1), WAIT, "the route's event to be staged");
    const emitted = messaging.emitEvent('order.shipped', { id: 'a-1' }, { key: 'a-1' });
    await messaging.close();
    const rows = await staged();
    assert.deepEqual(rows.map((row) => [row.type, row.key]), [['order.placed', 'a-1'], ['order.shipped', 'a-1']]);
    assert.equal(rows[1]?.id, emitted.id);
    assert.equal(messaging.stats().eventsDropped, 0);
  });

  it('refuses what the table cannot hold before queuing, and a CloudEvents envelope, by option name', async () => {
    await assert.rejects(messaging.publishEvent('order.placed', { note: 'a\u0000b' }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'data');
    assert.throws(() => messaging.emitEvent('order.placed', { note: 'a\u0000b' }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'data');
    assert.throws(() => createTestMessaging({ outbox, envelope: 'cloudevents' }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'outbox');
    assert.throws(() => createTestMessaging({ outbox: {} as never }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'outbox');
    assert.deepEqual(await staged(), []);
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}
