import { strict as assert } from 'node:assert';
import { createTestMessaging } from '../../entry/testing.js';
import { createOutbox, type Outbox } from '../../outbox/index.js';
import { claimRows } from '../../outbox/claim.js';
import { tableNames } from '../../outbox/table-name.js';
import { recordPublished } from '../../lib/testing.js';
import { inTransaction, type TestSchema } from '../support/postgres.js';
import { outboxTestBed } from '../support/outbox-bed.js';
import { withTimeout } from '../support/wait.js';

const WAIT = 10_000;
/** Twelve rows of one key: their `seq` values cross from one digit to two (9 → 10). */
const ROWS = 12;

/**
 * A key's rows must be claimed in numeric `seq` order even when a batch takes only some of
 * them: in text order "10" sorts before "2", and a batch that took 1, 10, 11, 12 published
 * them before 2 (seen on Kafka, where the first publishes to a new topic let a backlog across
 * 99 → 100 build up).
 */
describe('outbox claim order (PostgreSQL)', () => {
  const bed = outboxTestBed('outbox_order');
  const { relays, instances } = bed;
  let db: TestSchema;
  let table: string;
  let outbox: Outbox;

  before(async () => {
    ({ db, table } = bed);
    outbox = createOutbox({ pool: db.pool, table, source: 'orders-service' });
    await outbox.migrate();
  });

  beforeEach(async () => {
    // A fresh identity per test, so that the staged rows' seq values are 1..ROWS.
    await db.pool.query(`TRUNCATE ${table} RESTART IDENTITY`);
    for (let step = 0; step < ROWS; step += 1) {
      await inTransaction(db.pool, (client) => outbox.stage(client, 'order.step', { step }, { topic: 'orders', key: 'order-1' }));
    }
  });


  it('claims a key\'s head and its next rows in numeric seq order when the batch holds only some', async () => {
    const claimed = await inTransaction(db.pool, (client) => claimRows(client, tableNames(table), 4));
    assert.deepEqual(claimed.map((row) => row.seq), ['1', '2', '3', '4']);
  });

  it('publishes a key\'s rows in staged order through batches smaller than the backlog', async () => {
    const instance = createTestMessaging();
    instances.push(instance);
    const recorder = recordPublished(instance);
    relays.push(outbox.startRelay({ messaging: instance, batchSize: 4 }));
    await withTimeout(until(() => recorder.events.length >= ROWS), WAIT, `${ROWS} events to be published`);
    const steps = recorder.events.map((event) => (event.data as { step: number }).step);
    assert.deepEqual(steps, Array.from({ length: ROWS }, (_, step) => step));
  });
});

/** Resolves once `check` holds, looking every 20 ms (the caller bounds the wait). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}
