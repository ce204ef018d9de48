import { strict as assert } from 'node:assert';
import { InvalidArgumentError, SerializationError } from '../../entry/index.js';
import { createTestMessaging } from '../../entry/testing.js';
import { createOutbox, type OutboxPool, type Queryable } from '../../outbox/index.js';
import { tableNames } from '../../outbox/table-name.js';

/** A pool the checks never reach: every test here fails before any connection. */
const unusedPool: OutboxPool = {
  connect: () => Promise.reject(new Error('no connection expected')),
};

/** Records what stage() would run, to show that bad input is refused before any statement. */
function recordingClient(): Queryable & { readonly statements: string[] } {
  const statements: string[] = [];
  return {
    statements,
    query: async (text: string) => {
      statements.push(text);
      return { rows: [] };
    },
  };
}

function invalid(argument: string, message: RegExp): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof InvalidArgumentError, `expected InvalidArgumentError, got ${String(error)}`);
    assert.equal(error.argument, argument);
    assert.match(error.message, message);
    return true;
  };
}

describe('outbox options and input checks', () => {
  it('accepts a table name, optionally schema-qualified, and derives the names beside it', () => {
    const names = tableNames('app.outbox');
    assert.equal(names.table, '"app"."outbox"');
    assert.equal(names.failed, '"app"."outbox_failed"');
    assert.equal(names.channel, 'app.outbox');
    assert.equal(tableNames('order').table, '"order"', 'a reserved word is quoted');
  });

  it('refuses a table name that is not a safe identifier, naming `table`', () => {
    for (const table of ['Outbox', 'a.b.c', 'out-box', 'x; DROP TABLE users', '', 'a'.repeat(56), 42]) {
      assert.throws(() => createOutbox({ pool: unusedPool, table: table as string }), invalid('table', /Expected `table` to be a table name/), String(table));
    }
  });

  it('refuses a missing pool and unknown options', () => {
    assert.throws(() => createOutbox({} as never), invalid('pool', /Expected `pool` to be a pg Pool/));
    assert.throws(() => createOutbox({ pool: unusedPool, tabel: 'x' } as never), invalid('tabel', /Unknown option `tabel`/));
  });

  it('refuses bad stage() input with typed errors before running any statement', async () => {
    const outbox = createOutbox({ pool: unusedPool });
    const client = recordingClient();
    await assert.rejects(outbox.stage({} as never, 'order.placed', {}, { topic: 'orders' }), invalid('client', /Expected `client` to be the transaction's database client/));
    await assert.rejects(outbox.stage(client, '', {}, { topic: 'orders' }), invalid('name', /non-empty string/));
    await assert.rejects(outbox.stage(client, 'order.placed', {}, {} as never), invalid('topic', /has no topic: pass \{ topic \}/));
    await assert.rejects(outbox.stage(client, 'order.placed', {}, { topic: 'no spaces' }), invalid('topic', /topic name/));
    await assert.rejects(outbox.stage(client, 'order.placed', {}, { topic: 'orders', key: {} as never }), invalid('key', /string or a number/));
    await assert.rejects(outbox.stage(client, 'order.placed', {}, { topic: 'orders', headers: { n: 1 } as never }), invalid('headers', /header `n` to be a string/));
    await assert.rejects(outbox.stage(client, 'order.placed', {}, { topic: 'orders', kee: 1 } as never), invalid('kee', /Unknown option `kee`/));
    await assert.rejects(outbox.stage(client, 'order.placed', { text: 'a\u0000b' }, { topic: 'orders' }), invalid('data', /NUL character/));
    await assert.rejects(outbox.stage(client, 'order.placed', { total: 10n }, { topic: 'orders' }), SerializationError);
    await assert.rejects(outbox.stage(client, 'order.placed', undefined, { topic: 'orders' }), SerializationError);
    assert.deepEqual(client.statements, []);
  });

  it('stores a literal backslash-u0000 text, which is not a NUL character', async () => {
    const client = recordingClient();
    await createOutbox({ pool: unusedPool }).stage(client, 'note.added', { text: '\\u0000' }, { topic: 'notes' });
    assert.equal(client.statements.length, 1);
  });

  it('refuses bad startRelay() options, naming each', () => {
    const outbox = createOutbox({ pool: unusedPool });
    const messaging = createTestMessaging();
    assert.throws(() => outbox.startRelay({} as never), invalid('messaging', /Expected `messaging` to be a messaging instance/));
    assert.throws(() => outbox.startRelay({ messaging, batchSize: 0 }), invalid('batchSize', /integer of at least 1/));
    assert.throws(() => outbox.startRelay({ messaging, pollIntervalMs: -1 }), invalid('pollIntervalMs', /integer of at least 1/));
    assert.throws(() => outbox.startRelay({ messaging, maxBackoffMs: 10 }), invalid('maxBackoffMs', /integer of at least 250/));
    assert.throws(() => outbox.startRelay({ messaging, batchesInFlight: 0 }), invalid('batchesInFlight', /integer of at least 1/));
    assert.throws(() => outbox.startRelay({ messaging, batchesInFlight: 17 }), invalid('batchesInFlight', /at most 16, got 17/));
    assert.throws(() => outbox.startRelay({ messaging, batch: 5 } as never), invalid('batch', /Unknown option `batch`/));
  });

  it('never mutates the caller\'s options', async () => {
    const options = Object.freeze({ topic: 'orders', key: 1, headers: Object.freeze({ tenant: 'acme' }) });
    const client = recordingClient();
    await createOutbox({ pool: unusedPool }).stage(client, 'order.placed', {}, options);
    assert.deepEqual(options.headers, { tenant: 'acme' });
  });
});
