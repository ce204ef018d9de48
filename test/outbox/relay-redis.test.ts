import { strict as assert } from 'node:assert';
import { createProxy, type TcpProxy } from '../support/proxy.js';
import { createMessaging, silentLogger, type Event, type Logger, type Messaging } from '../../entry/index.js';
import { createOutbox, type Outbox, type Relay } from '../../outbox/index.js';
import { createTestSchema, inTransaction, type TestSchema } from '../support/postgres.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { collector, deferred, withTimeout } from '../support/wait.js';

const WAIT = 15_000;

describe('outbox relay (PostgreSQL, Redis)', function () {
  this.timeout(60_000);
  let db: TestSchema;
  let table: string;
  let outbox: Outbox;
  const topic = `outbox-${process.pid}-${Date.now()}`;
  const relays: Relay[] = [];
  const instances: Messaging[] = [];
  let proxy: TcpProxy | undefined;

  before(async function () {
    await requireBroker(this, 'postgres');
    await requireBroker(this, 'redis');
    db = await createTestSchema('outbox_redis');
    table = `${db.schema}.outbox`;
    outbox = createOutbox({ pool: db.pool, table });
    await outbox.migrate();
  });

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await Promise.all(instances.splice(0).map((messaging) => messaging.close()));
    await proxy?.close();
    proxy = undefined;
  });

  after(async () => {
    await db?.drop();
  });

  const redis = (url: string, extra: { logger?: Logger; publishTimeoutMs?: number } = {}): Messaging => {
    const instance = createMessaging({ broker: 'redis', url, logger: silentLogger, source: 'outbox-test', ...extra });
    instances.push(instance);
    return instance;
  };

  /** A consumer group on the test topic, reading through Redis itself. */
  async function consume(count: number, groupId: string): Promise<{ readonly done: Promise<Event[]>; readonly items: Event[] }> {
    const seen = collector<Event>(count);
    const consumer = redis(brokers.redis.url).messageHandler({ topic, groupId, concurrency: 1 }, (event) => seen.push(event as Event));
    await consumer.start();
    return { done: seen.done, items: seen.items };
  }

  const pending = async (): Promise<number> => Number((await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);

  it('publishes a committed event once, through a real broker', async () => {
    const received = await consume(1, 'once');
    const staged = await inTransaction(db.pool, (client) => outbox.stage(client, 'invoice.issued', { id: 7 }, { topic, key: 'invoice-7' }));
    relays.push(outbox.startRelay({ messaging: redis(brokers.redis.url) }));
    const [event] = await withTimeout(received.done, WAIT, 'the event through Redis');
    assert.deepEqual(event, staged);
    await withTimeout(until(async () => (await pending()) === 0), WAIT, 'the row to be deleted');
    assert.equal(received.items.length, 1);
  });

  it('leaves the rows in place while the broker is down, and publishes them once it is back', async () => {
    const received = await consume(5, 'outage');
    const target = new URL(brokers.redis.url);
    proxy = await createProxy(Number(target.port || 6379));
    proxy.refuse(true);
    const failing = deferred<string>();
    const logger: Logger = { ...silentLogger, warn: (text) => { if (text.includes('publishing failed')) failing.resolve(text); } };
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    const relay = outbox.startRelay({ messaging: redis(target.toString(), { logger, publishTimeoutMs: 1_000 }), maxBackoffMs: 1_000 });
    relays.push(relay);
    await inTransaction(db.pool, async (client) => {
      for (let n = 0; n < 5; n += 1) await outbox.stage(client, 'invoice.issued', { n }, { topic, key: 'same' });
    });
    await withTimeout(failing.promise, WAIT, 'a publish to fail while Redis is unreachable');
    const rows = await db.rows<{ attempts: number; last_error: string | null }>(`SELECT attempts, last_error FROM ${table} ORDER BY seq`);
    assert.equal(rows.length, 5, 'every row stays while the broker is down');
    assert.ok((rows[0]?.attempts ?? 0) >= 1 && rows[0]?.last_error !== null, 'the failed attempt is recorded on the row');
    assert.ok(rows.slice(1).every((row) => row.attempts === 0), 'later rows of the key are not tried before the first');
    proxy.refuse(false);
    const events = await withTimeout(received.done, WAIT, 'the five events after Redis came back');
    assert.deepEqual(events.map((event) => (event.data as { n: number }).n), [0, 1, 2, 3, 4]);
    await withTimeout(until(async () => (await pending()) === 0), WAIT, 'the rows to be deleted');
  });

  it('stops in bounded time while backing off from a broker that is down', async () => {
    proxy = await createProxy(Number(new URL(brokers.redis.url).port || 6379));
    proxy.refuse(true);
    const failing = deferred();
    const logger: Logger = { ...silentLogger, warn: (text) => { if (text.includes('publishing failed')) failing.resolve(); } };
    const target = new URL(brokers.redis.url);
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    const relay = outbox.startRelay({ messaging: redis(target.toString(), { logger, publishTimeoutMs: 1_000 }), maxBackoffMs: 60_000 });
    await inTransaction(db.pool, (client) => outbox.stage(client, 'invoice.voided', { n: 1 }, { topic }));
    await withTimeout(failing.promise, WAIT, 'a publish to fail');
    await withTimeout(relay.stop(), 5_000, 'stop() during the backoff');
    assert.equal(await pending(), 1, 'the row stays for the next relay');
    await db.pool.query(`DELETE FROM ${table}`);
  });
});

/** Polls `check` until it holds: for database state, which sends no event. */
async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20));
}
