import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { connect as amqpConnect } from 'amqplib';
import kafkajs from 'kafkajs';
import { createEvent } from '../../lib/envelope/event.js';
import { createMessaging, silentLogger, type Consumer, type Messaging, type Middleware } from '../../entry/index.js';
import { createOutbox, type Outbox, type PgInbox } from '../../outbox/index.js';
import { inboxEventId } from '../../outbox/inbox-id.js';
import { createTestSchema, type TestSchema } from '../support/postgres.js';
import { brokers, requireBroker, type RealBrokerName } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

const WAIT = 30_000;

/** One messaging instance per simulated process, on the broker under test. */
const connectors: Record<'kafka' | 'rabbitmq', () => Messaging> = {
  kafka: () => createMessaging({
    broker: 'kafka',
    bootstrapServers: brokers.kafka.url,
    logger: silentLogger,
    source: 'inbox-test',
    // One partition keeps the deliveries in the order sent; short sessions make the hand-over quick.
    brokerOptions: { partitions: 1, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, redeliveryDelayMs: 200 },
  }),
  rabbitmq: () => createMessaging({ broker: 'rabbitmq', url: brokers.rabbitmq.url, logger: silentLogger, source: 'inbox-test' }),
};

/** Removes what a run declared on the broker: RabbitMQ queues, Kafka topics and group. */
const cleanups: Record<'kafka' | 'rabbitmq', (topic: string, groupId: string) => Promise<void>> = {
  async rabbitmq(topic, groupId) {
    const connection = await amqpConnect(brokers.rabbitmq.url);
    try {
      const channel = await connection.createChannel();
      for (const queue of [`${groupId}.${topic}`, `${topic}.dlq`]) await channel.deleteQueue(queue);
    } finally {
      await connection.close();
    }
  },
  async kafka(topic, groupId) {
    const admin = new kafkajs.Kafka({ brokers: brokers.kafka.url.split(','), logLevel: kafkajs.logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.deleteGroups([groupId]).catch(() => {});
      const existing = new Set(await admin.listTopics());
      const topics = [topic, `${topic}.dlq`].filter((name) => existing.has(name));
      if (topics.length > 0) await admin.deleteTopics({ topics });
    } finally {
      await admin.disconnect();
    }
  },
};

/** Polls `check` until it holds, giving up after WAIT (withTimeout reports the failure). */
async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + WAIT;
  while (!check() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('inbox (PostgreSQL) on Kafka and RabbitMQ: a duplicate delivery has one effect', function () {
  this.timeout(120_000);
  let db: TestSchema;
  let outbox: Outbox;
  let effects: string;

  before(async function () {
    await requireBroker(this, 'postgres');
    db = await createTestSchema('inbox_brokers');
    outbox = createOutbox({ pool: db.pool, table: `${db.schema}.outbox` });
    await outbox.migrate();
    effects = `${db.schema}.effects`;
    await db.pool.query(`CREATE TABLE ${effects} (event_id text NOT NULL)`);
  });

  after(async () => {
    await db?.drop();
  });

  for (const broker of ['kafka', 'rabbitmq'] as const satisfies readonly RealBrokerName[]) {
    describe(broker, () => {
      const suffix = randomBytes(4).toString('hex');
      const topic = `ew-inbox-${suffix}`;
      const groupId = `ew-inbox-billing-${suffix}`;
      const instances: Messaging[] = [];
      const consumers: Consumer[] = [];
      let declared = false;

      before(async function () {
        await requireBroker(this, broker);
      });

      after(async () => {
        await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
        await Promise.all(instances.splice(0).map((instance) => instance.close()));
        if (declared) await cleanups[broker](topic, groupId);
      });

      const instance = (): Messaging => {
        const created = connectors[broker]();
        instances.push(created);
        return created;
      };

      /** Starts a consumer of the group whose handler writes one effect row per call, in the inbox's transaction. */
      const start = async (messaging: Messaging, inbox: PgInbox, outer: Middleware[]): Promise<Consumer> => {
        const consumer = messaging.messageHandler(
          { topic, groupId, middleware: [...outer, inbox.middleware], context: inbox.context, concurrency: 1, retryDelayMs: 60_000 },
          async (event, ctx) => {
            await ctx.db.query(`INSERT INTO ${effects} (event_id) VALUES ($1)`, [(event as { id: string }).id]);
          },
        );
        consumers.push(consumer);
        declared = true;
        await consumer.start();
        return consumer;
      };

      it('an event published twice, and one redelivered by the broker after its effect committed, each write their effect once', async () => {
        const inbox = outbox.inbox();
        const twice = createEvent('order.placed', { id: 1 }, 'test');
        const lost = createEvent('order.placed', { id: 2 }, 'test');
        const committed = deferred<true>();
        // Fails `lost` after the inbox committed its effect, as a process that dies before acknowledging would.
        const ackLost: Middleware = (next) => async (message, ctx) => {
          await next(message, ctx);
          if (inboxEventId(message) === lost.id && ctx.attempt === 1) {
            committed.resolve(true);
            throw new Error('acknowledgement lost');
          }
        };
        const first = instance();
        const firstConsumer = await start(first, inbox, [ackLost]);
        await first.getProducer().send(topic, twice);
        await first.getProducer().send(topic, twice);
        await first.getProducer().send(topic, lost);
        await withTimeout(committed.promise, WAIT, `the effect of ${lost.id} to commit`);
        await withTimeout(waitFor(() => inbox.stats().duplicates >= 1), WAIT, 'the second publish to be recognised');
        // Stopping during the retry wait abandons the delivery: unacknowledged, the broker delivers it again.
        await firstConsumer.stop();
        await start(instance(), inbox, []);
        await withTimeout(waitFor(() => inbox.stats().duplicates >= 2), WAIT, `the broker to redeliver ${lost.id}`);
        const count = async (id: string): Promise<number> => (await db.rows(`SELECT 1 FROM ${effects} WHERE event_id = $1`, [id])).length;
        assert.equal(await count(twice.id), 1, 'the event published twice wrote its effect once');
        assert.equal(await count(lost.id), 1, 'the event redelivered after its commit wrote its effect once');
        assert.equal(inbox.stats().handled, 2);
      });
    });
  }
});
