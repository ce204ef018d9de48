import { strict as assert } from 'node:assert';
import { createTestMessaging } from '../../entry/testing.js';
import { createEvent } from '../../lib/envelope/event.js';
import type { Event, Logger, Messaging } from '../../entry/index.js';
import { createOutbox, OutboxNotMigratedError, type Outbox } from '../../outbox/index.js';
import { inTransaction, type TestSchema } from '../support/postgres.js';
import { outboxTestBed } from '../support/outbox-bed.js';
import { collector, deferred, withTimeout, type Deferred } from '../support/wait.js';

const WAIT = 10_000;

/**
 * A logger that resolves `first` with the first error it is given under `error`, and counts the
 * error-level lines carrying an OutboxNotMigratedError (directly or as the cause).
 */
function errorCatcher(): Logger & { readonly first: Deferred<unknown>; readonly notMigratedErrors: () => number } {
  const first = deferred<unknown>();
  let count = 0;
  const at = (level: 'warn' | 'error') => (_message: string, fields?: Record<string, unknown>): void => {
    const error = fields?.error;
    if (error === undefined) return;
    const typed = error instanceof OutboxNotMigratedError || (error instanceof Error && error.cause instanceof OutboxNotMigratedError);
    if (typed && level === 'error') count += 1;
    first.resolve(error);
  };
  return { first, notMigratedErrors: () => count, debug: () => {}, info: () => {}, warn: at('warn'), error: at('error') };
}

/** The typed error itself, whether reported directly or as the cause of the consumer's verdict. */
function typedOf(reported: unknown): OutboxNotMigratedError {
  const error = reported instanceof OutboxNotMigratedError ? reported : (reported as { cause?: unknown }).cause;
  assert.ok(error instanceof OutboxNotMigratedError, `expected OutboxNotMigratedError, got ${String(reported)}`);
  return error;
}

describe('outbox: used before migrate()', () => {
  const bed = outboxTestBed('not_migrated');
  const { relays, instances } = bed;
  let db: TestSchema;
  let table: string;
  let outbox: Outbox;

  before(() => {
    ({ db, table } = bed);
  });

  beforeEach(() => {
    outbox = createOutbox({ pool: db.pool, table });
  });

  afterEach(async () => {
    await db.pool.query(`DROP TABLE IF EXISTS ${table}, ${table}_failed, ${table}_inbox`);
  });

  const messaging = (logger: Logger): Messaging => {
    const instance = createTestMessaging({ logger });
    instances.push(instance);
    return instance;
  };

  it('stage() throws OutboxNotMigratedError naming the table, and the caller\'s transaction is aborted', async () => {
    const client = await db.pool.connect();
    try {
      await client.query('BEGIN');
      const error = await outbox.stage(client, 'order.placed', { id: 1 }, { topic: 'orders' }).then(() => undefined, (caught: unknown) => caught);
      assert.ok(error instanceof OutboxNotMigratedError, `got ${String(error)}`);
      assert.equal(error.code, 'EVENTWIRE_OUTBOX_NOT_MIGRATED');
      assert.equal(error.table, table);
      assert.match(error.message, new RegExp(`${table.replace('.', '\\.')} does not exist.*outbox\\.migrate\\(\\).*eventwire outbox migrate`));
      assert.equal((error.cause as { code?: unknown }).code, '42P01', 'the cause is PostgreSQL\'s own error');
      await assert.rejects(client.query('SELECT 1'), (aborted: { code?: unknown }) => aborted.code === '25P02', 'the transaction is aborted');
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
  });

  it('outbox-only mode: publishEvent rejects with OutboxNotMigratedError', async () => {
    const instance = createTestMessaging({ outbox });
    instances.push(instance);
    await assert.rejects(instance.publishEvent('order.placed', { id: 2 }, { topic: 'orders' }), (error: unknown) => error instanceof OutboxNotMigratedError && error.table === table);
  });

  it('the relay logs OutboxNotMigratedError once at error level, and publishes once the table is migrated', async () => {
    const logger = errorCatcher();
    const seen = collector<Event>(1);
    const instance = messaging(logger);
    const consumer = instance.messageHandler({ topic: 'orders', groupId: 'relay-check' }, (event) => seen.push(event as Event));
    await consumer.start();
    relays.push(outbox.startRelay({ messaging: instance, maxBackoffMs: 250, pollIntervalMs: 50 }));
    const reported = typedOf(await withTimeout(logger.first.promise, WAIT, 'the relay to report the missing table'));
    assert.equal(reported.table, table);
    await outbox.migrate();
    const staged = await inTransaction(db.pool, (client) => outbox.stage(client, 'order.placed', { id: 3 }, { topic: 'orders' }));
    const [received] = await withTimeout(seen.done, WAIT, 'the relay to publish after migrate()');
    assert.equal(received?.id, staged.id);
    assert.equal(logger.notMigratedErrors(), 1, 'reported once at error level, not at every retry');
    await consumer.stop();
  });

  it('the PostgreSQL inbox fails the delivery with OutboxNotMigratedError naming its table', async () => {
    const logger = errorCatcher();
    const instance = messaging(logger);
    const inbox = outbox.inbox();
    let handled = 0;
    const consumer = instance.messageHandler({ topic: 'orders', groupId: 'inbox-check', middleware: [inbox.middleware], context: inbox.context, maxRetries: 0 }, () => {
      handled += 1;
    });
    await consumer.start();
    await instance.getProducer().send('orders', createEvent('order.placed', { id: 4 }, 'test'));
    const reported = typedOf(await withTimeout(logger.first.promise, WAIT, 'the consumer to report the missing inbox table'));
    assert.equal(reported.table, `${table}_inbox`);
    assert.equal(handled, 0, 'the handler never ran without its mark');
    await consumer.stop();
  });

  it('a handler\'s own missing table is not reported as the inbox\'s', async () => {
    await outbox.migrate();
    const logger = errorCatcher();
    const instance = messaging(logger);
    const inbox = outbox.inbox();
    const consumer = instance.messageHandler({ topic: 'orders', groupId: 'handler-table', middleware: [inbox.middleware], context: inbox.context, maxRetries: 0 }, async (_event, ctx) => {
      await ctx.db.query(`INSERT INTO ${db.schema}.no_such_table VALUES (1)`);
    });
    await consumer.start();
    await instance.getProducer().send('orders', createEvent('order.placed', { id: 5 }, 'test'));
    const reported = await withTimeout(logger.first.promise, WAIT, 'the consumer to report the handler\'s error');
    const error = (reported as { code?: unknown }).code === '42P01' ? reported : (reported as { cause?: unknown }).cause;
    assert.ok(!(error instanceof OutboxNotMigratedError), 'PostgreSQL\'s error reaches the handler\'s caller unchanged');
    assert.equal((error as { code?: unknown }).code, '42P01');
    await consumer.stop();
  });
});
