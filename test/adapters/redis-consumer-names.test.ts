import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createMessaging, silentLogger, type Messaging } from '../../entry/index.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { withTimeout } from '../support/wait.js';

// A stopped worker takes its consumer name out of the group (XGROUP DELCONSUMER) when it holds
// nothing pending, so that XINFO CONSUMERS lists the workers that exist; a name that still holds
// entries stays, since deleting it would drop those entries from the group's pending list.

const url = brokers.redis.url;

describe('Redis consumer names', function () {
  this.timeout(30_000);
  let admin: Redis;
  let messaging: Messaging;
  let topic: string;

  before(async function () {
    await requireBroker(this, 'redis');
    admin = new Redis(url);
  });
  after(() => admin?.disconnect());
  beforeEach(() => {
    topic = `ew-names-${randomUUID().slice(0, 8)}`;
    messaging = createMessaging({ broker: 'redis', url, source: 'tests', logger: silentLogger, brokerOptions: { redeliveryDelayMs: 60_000 } });
  });
  afterEach(async () => {
    await messaging.close();
    await admin.del(topic, `${topic}.dlq`);
  });

  const consumerNames = async (): Promise<string[]> => {
    const rows = (await admin.xinfo('CONSUMERS', topic, 'g')) as unknown[][];
    return rows.map((row) => String(row[row.indexOf('name') + 1]));
  };

  it('removes the name of a stopped consumer that holds nothing pending', async () => {
    const handled = Promise.withResolvers<undefined>();
    const consumer = messaging.messageHandler({ topic, groupId: 'g' }, async () => handled.resolve(undefined));
    await consumer.start();
    await messaging.getProducer().send(topic, { n: 1 });
    await withTimeout(handled.promise, 10_000, 'the handler');
    assert.equal((await consumerNames()).length, 1);
    await consumer.stop();
    assert.deepEqual(await consumerNames(), []);
  });

  it('keeps the name of a stopped consumer that holds an unacknowledged entry', async () => {
    // The dead-letter topic is a plain string key, so dead-lettering fails (WRONGTYPE) and the
    // failed entry stays pending with this consumer, waiting for its redelivery delay.
    await admin.set(`${topic}.dlq`, 'not a stream');
    const failed = Promise.withResolvers<undefined>();
    const consumer = messaging.messageHandler({ topic, groupId: 'g', maxRetries: 0 }, async () => {
      failed.resolve(undefined);
      throw new Error('not now');
    });
    await consumer.start();
    await messaging.getProducer().send(topic, { n: 1 });
    await withTimeout(failed.promise, 10_000, 'the failing handler');
    await consumer.stop();
    const pending = (await admin.xpending(topic, 'g')) as [number, ...unknown[]];
    assert.equal(pending[0], 1);
    assert.equal((await consumerNames()).length, 1);
  });
});
