import type { Messaging } from '../../entry/index.js';
import type { Relay } from '../../outbox/index.js';
import { createTestSchema, type TestSchema } from './postgres.js';
import { requireBroker } from './require-broker.js';

/** What the outbox tests of one describe block share; `db` and `table` are set once its `before` hook ran. */
export interface OutboxTestBed {
  db: TestSchema;
  /** `<schema>.outbox`: the outbox table's name, not created here. */
  table: string;
  /** Relays the tests started: stopped after each test. */
  readonly relays: Relay[];
  /** Messaging instances the tests made: closed after each test, after the relays stopped. */
  readonly instances: Messaging[];
}

/**
 * Registers the hooks of an outbox test block in the calling `describe`: a PostgreSQL schema of
 * its own before its tests (PostgreSQL is required), the relays and instances a test left
 * stopped after it, the schema dropped after the block. Registered first, these hooks run
 * before the block's own.
 *
 * @example
 * const bed = outboxTestBed('outbox_order');
 * before(async () => { outbox = createOutbox({ pool: bed.db.pool, table: bed.table }); await outbox.migrate(); });
 */
export function outboxTestBed(label: string): OutboxTestBed {
  const bed = { relays: [], instances: [] } as unknown as OutboxTestBed;
  before(async function () {
    await requireBroker(this, 'postgres');
    bed.db = await createTestSchema(label);
    bed.table = `${bed.db.schema}.outbox`;
  });
  afterEach(async () => {
    await Promise.all(bed.relays.splice(0).map((relay) => relay.stop()));
    await Promise.all(bed.instances.splice(0).map((messaging) => messaging.close()));
  });
  after(async () => {
    await bed.db?.drop();
  });
  return bed;
}
