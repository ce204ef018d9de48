import { strict as assert } from 'node:assert';
import { createMessaging, silentLogger, type Event, type Messaging } from '../../entry/index.js';
import { createOutbox } from '../../outbox/index.js';
import { finish, killCli, runCli, type RunningCli } from '../support/cli-process.js';
import { createTestSchema, inTransaction, type TestSchema } from '../support/postgres.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

describe('eventwire outbox (CLI)', function () {
  this.timeout(60_000);
  let db: TestSchema;
  let table: string;
  const clis: RunningCli[] = [];
  const instances: Messaging[] = [];

  before(async function () {
    await requireBroker(this, 'postgres');
    db = await createTestSchema('outbox_cli');
    table = `${db.schema}.outbox`;
  });

  afterEach(async () => {
    for (const cli of clis.splice(0)) killCli(cli);
    await Promise.all(instances.splice(0).map((messaging) => messaging.close()));
  });

  after(async () => {
    await db?.drop();
  });

  const cli = (args: string[], env: Record<string, string>): RunningCli => {
    const running = runCli(args, { env, closeStdin: true });
    clis.push(running);
    return running;
  };
  const database = { DATABASE_URL: brokers.postgres.url };

  it('migrate creates the table, and running it again changes nothing', async () => {
    for (let run = 0; run < 2; run += 1) {
      const result = await finish(cli(['outbox', 'migrate', '--table', table], database));
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, new RegExp(`the outbox table ${table} is ready`));
    }
    const [row] = await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
    assert.equal(row?.n, '0');
  });

  it('relay (two batches in flight) publishes staged events until SIGTERM, then exits 0', async function () {
    await requireBroker(this, 'redis');
    await createOutbox({ pool: db.pool, table }).migrate();
    const topic = `outbox-cli-${process.pid}-${Date.now()}`;
    const consumerSide = createMessaging({ broker: 'redis', url: brokers.redis.url, logger: silentLogger });
    instances.push(consumerSide);
    const received = deferred<Event>();
    await consumerSide.messageHandler({ topic, groupId: 'cli' }, (event) => received.resolve(event as Event)).start();
    const relay = cli(['outbox', 'relay', '--table', table, '--poll-interval-ms', '60000', '--batches-in-flight', '2'], { ...database, MESSAGING_BROKER: 'redis', REDIS_URL: brokers.redis.url });
    await relay.waitForLine('stderr', /relaying .* to redis/);
    const staged = await inTransaction(db.pool, (client) => createOutbox({ pool: db.pool, table }).stage(client, 'order.shipped', { id: 9 }, { topic }));
    assert.deepEqual(await withTimeout(received.promise, 15_000, 'the staged event through the CLI relay'), staged);
    relay.child.kill('SIGTERM');
    const result = await finish(relay);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /stopped$/);
  });

  it('consumer --outbox-relay relays staged events beside the consumers and stops with them', async () => {
    const outbox = createOutbox({ pool: db.pool, table });
    await outbox.migrate();
    const topic = `outbox-beside-${process.pid}-${Date.now()}`;
    const stage = (id: number): Promise<Event> => inTransaction(db.pool, (client) => outbox.stage(client, 'order.placed', { id }, { topic }));
    const before = await stage(1);
    const worker = cli(['consumer', 'test/fixtures/cli/outbox-worker.ts', '--outbox-relay', '--outbox-table', table], { ...database, MESSAGING_BROKER: 'memory', OUTBOX_TOPIC: topic });
    await worker.waitForLine('stderr', new RegExp(`relaying ${table} to memory beside the consumers`));
    // Staged before the worker started: published once its consumer had subscribed.
    await worker.waitForLine('stdout', new RegExp(`handled ${before.id}`));
    const after = await stage(2);
    await worker.waitForLine('stdout', new RegExp(`handled ${after.id}`));
    worker.child.kill('SIGTERM');
    const result = await finish(worker);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stderr, /stopped$/);
    const [row] = await db.rows<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE topic = $1`, [topic]);
    assert.equal(row?.n, '0', 'every relayed row was deleted');
  });

  it('consumer --outbox-relay exits 2 naming what to fix', async () => {
    const args = ['consumer', 'test/fixtures/cli/outbox-worker.ts'];
    const noRelay = await finish(cli([...args, '--outbox-table', table], { ...database, MESSAGING_BROKER: 'memory' }));
    assert.equal(noRelay.code, 2);
    assert.match(noRelay.stderr, /--outbox-table names the table of the relay that --outbox-relay runs/);
    const unset = await finish(cli([...args, '--outbox-relay'], { DATABASE_URL: '', MESSAGING_BROKER: 'memory' }));
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /DATABASE_URL is not set/);
    assert.doesNotMatch(unset.stderr, /consuming/, 'checked before any consumer started');
    const missing = await finish(cli([...args, '--outbox-relay', '--outbox-table', `${db.schema}.nothing`], { ...database, MESSAGING_BROKER: 'memory' }));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, new RegExp(`the outbox table ${db.schema}\\.nothing does not exist`));
    assert.doesNotMatch(missing.stderr, /consuming/, 'the table is checked before any consumer subscribes');
  });

  it('exits 2 with what to do when DATABASE_URL is unset or the table is missing', async () => {
    const unset = await finish(cli(['outbox', 'relay'], { DATABASE_URL: '', MESSAGING_BROKER: 'memory' }));
    assert.equal(unset.code, 2);
    assert.match(unset.stderr, /DATABASE_URL is not set/);
    const missing = await finish(cli(['outbox', 'relay', '--table', `${db.schema}.nothing`], { ...database, MESSAGING_BROKER: 'memory' }));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, new RegExp(`run eventwire outbox migrate --table ${db.schema}\\.nothing first`));
    const tooMany = await finish(cli(['outbox', 'relay', '--table', table, '--batches-in-flight', '17'], { ...database, MESSAGING_BROKER: 'memory' }));
    assert.equal(tooMany.code, 2);
    assert.match(tooMany.stderr, /--batches-in-flight must be a whole number from 1 to 16, got "17"/);
    const unknown = await finish(cli(['outbox', 'publish'], database));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown outbox command "publish"/);
  });
});
