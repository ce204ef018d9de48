import { strict as assert } from 'node:assert';
import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import Koa from 'koa';
import request from 'supertest';
import { createTestMessaging, recordPublished } from '../../entry/testing.js';
import { InvalidArgumentError, type Messaging } from '../../entry/index.js';
import { createOutbox, NoTransactionError, type Outbox, type Relay } from '../../outbox/index.js';
import { createTestSchema, inTransaction, type TestSchema } from '../support/postgres.js';
import { requireBroker } from '../support/require-broker.js';
import { withTimeout } from '../support/wait.js';

const WAIT = 10_000;

/** What a test route does: insert an order and stage its event, in a transaction or not. */
interface OrderRequest {
  readonly total: number;
  readonly fail?: boolean;
  readonly noTransaction?: boolean;
}

/** The work both frameworks' routes share: the order's insert and its staged event. */
type PlaceOrder = (body: OrderRequest) => Promise<{ id: string; total: number }>;

function expressApp(place: PlaceOrder): Server {
  const app = express();
  app.post('/orders', express.json(), async (req: Request, res: Response) => {
    try {
      res.status(201).json(await place(req.body as OrderRequest));
    } catch (error) {
      res.status(500).json({ code: (error as { code?: unknown }).code ?? null });
    }
  });
  return app.listen(0);
}

function koaApp(place: PlaceOrder): Server {
  const app = new Koa();
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      ctx.status = 500;
      ctx.body = { code: (error as { code?: unknown }).code ?? null };
    }
  });
  app.use(async (ctx) => {
    let text = '';
    for await (const chunk of ctx.req) text += String(chunk);
    ctx.body = await place(JSON.parse(text) as OrderRequest);
    ctx.status = 201;
  });
  return app.listen(0);
}

describe('outbox.stageRouteEvent (PostgreSQL, Express and Koa)', () => {
  let db: TestSchema;
  let table: string;
  let orders: string;
  let outbox: Outbox;

  before(async function () {
    await requireBroker(this, 'postgres');
    db = await createTestSchema('routestage');
    table = `${db.schema}.outbox`;
    orders = `${db.schema}.orders`;
    outbox = createOutbox({ pool: db.pool, table, source: 'orders-service' });
    await outbox.migrate();
    await db.pool.query(`CREATE TABLE ${orders} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total integer NOT NULL)`);
  });

  after(async () => {
    await db?.drop();
  });

  const place: PlaceOrder = async (body) => {
    const work = async (client: { query: TestSchema['pool']['query'] }) => {
      const { rows } = await client.query<{ id: string }>(`INSERT INTO ${orders} (total) VALUES ($1) RETURNING id`, [body.total]);
      const order = { id: String(rows[0]?.id), total: body.total };
      await outbox.stageRouteEvent(client as never, 'order.placed', order, { topic: 'orders', keyField: 'id' });
      if (body.fail === true) throw new Error('payment declined');
      return order;
    };
    if (body.noTransaction === true) return work(db.pool as never);
    return inTransaction(db.pool, (client) => work(client as never));
  };
  const count = async (of: string): Promise<number> => Number((await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${of}`))[0]?.n);

  for (const [framework, makeApp] of [['Express', expressApp], ['Koa', koaApp]] as const) {
    describe(framework, () => {
      let server: Server;
      let messaging: Messaging;
      let relay: Relay | undefined;

      beforeEach(() => {
        server = makeApp(place);
        messaging = createTestMessaging();
      });

      afterEach(async () => {
        await relay?.stop();
        relay = undefined;
        await messaging.close();
        await new Promise((resolve) => server.close(resolve));
        await db.pool.query(`DELETE FROM ${table}; DELETE FROM ${orders}`);
      });

      it('publishes a committed route event once, through the relay, with the key from keyField', async () => {
        const response = await request(server).post('/orders').send({ total: 42 }).expect(201);
        const order = response.body as { id: string; total: number };
        assert.equal(await count(table), 1, 'staged in the committed transaction');
        const recorder = recordPublished(messaging);
        relay = outbox.startRelay({ messaging });
        const event = await recorder.waitForEvent('order.placed', { timeoutMs: WAIT });
        assert.deepEqual(event.data, order);
        assert.equal(recorder.messages[0]?.key, order.id);
        await withTimeout(waitFor(async () => (await count(table)) === 0), WAIT, 'the published row to be deleted');
        await relay.stop();
        assert.equal(recorder.messages.length, 1, 'published once');
      });

      it('stages nothing when the route rolls back', async () => {
        await request(server).post('/orders').send({ total: 7, fail: true }).expect(500);
        assert.equal(await count(orders), 0, "the route's own write rolled back");
        assert.equal(await count(table), 0, 'no staged event: the relay has nothing to publish');
      });

      it('throws NoTransactionError and stages nothing without a transaction', async () => {
        const response = await request(server).post('/orders').send({ total: 9, noTransaction: true }).expect(500);
        assert.deepEqual(response.body, { code: new NoTransactionError('client', 'x').code });
        assert.equal(await count(table), 0);
      });
    });
  }

  it('stages data {} with includeResult: false, and refuses bad options by name before any statement', async () => {
    const event = await inTransaction(db.pool, (client) => outbox.stageRouteEvent(client, 'order.placed', { id: 1 }, { topic: 'orders', includeResult: false }));
    assert.deepEqual(event.data, {});
    await db.pool.query(`DELETE FROM ${table}`);
    await assert.rejects(
      inTransaction(db.pool, (client) => outbox.stageRouteEvent(client, 'order.placed', {}, { topic: 'orders', keyFeild: 'id' } as never)),
      (error: unknown) => error instanceof InvalidArgumentError && error.message.includes('keyFeild'),
    );
    let statements = 0;
    const counting = { query: async () => { statements += 1; return { rows: [] }; } };
    await assert.rejects(outbox.stageRouteEvent(counting, 'order.placed', {}, {} as never), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'topic');
    assert.equal(statements, 0, 'no statement before the options were checked');
    await assert.rejects(outbox.stageRouteEvent({} as never, 'order.placed', {}, { topic: 'orders' }), (error: unknown) => error instanceof InvalidArgumentError && error.argument === 'client');
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}
