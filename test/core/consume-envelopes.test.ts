import { strict as assert } from 'node:assert';
import { createMessaging, deadLetterHeaders as dl, silentLogger, type Event, type Messaging } from '../../entry/index.js';
import { collector, deferred, withTimeout } from '../support/wait.js';

// The memory broker's side of test/interop: the same envelopes reach a createConsumer handler.
describe('createConsumer on the memory broker reads every envelope a peer sends', () => {
  let messaging: Messaging;
  beforeEach(() => {
    messaging = createMessaging({ broker: 'memory', source: 'tests', logger: silentLogger });
  });
  afterEach(() => messaging.close());

  it("takes the Python original's envelope, with the entry's id, and binary and structured CloudEvents", async () => {
    const seen = collector<Event>(3);
    const record = async (event: Event): Promise<void> => seen.push(event);
    await messaging.createConsumer({ groupId: 'g', topics: 'orders', handlers: { 'order.created': record } }).start();
    const producer = messaging.getProducer();
    await producer.send('orders', { name: 'order.created', data: { n: 1 }, timestamp: '2026-02-01T12:00:00.123456', source: 'py' });
    await producer.send('orders', { n: 2 }, { headers: { ce_specversion: '1.0', ce_id: 'c-2', ce_source: 's', ce_type: 'order.created', ce_subject: 'o-2' } });
    await producer.send('orders', { specversion: '1.0', id: 'c-3', source: 's', type: 'order.created', data: { n: 3 } }, { headers: { 'content-type': 'application/cloudevents+json' } });
    const [python, binary, structured] = await withTimeout(seen.done, 5_000, 'three events');
    assert.match(python?.id ?? '', /^orders-\d+$/);
    assert.equal(python?.timestamp, '2026-02-01T12:00:00.123Z');
    assert.deepEqual([binary?.id, binary?.data, binary?.cloudEvent?.subject], ['c-2', { n: 2 }, 'o-2']);
    assert.deepEqual([structured?.id, structured?.data, structured?.cloudEvent?.mode], ['c-3', { n: 3 }, 'structured']);
  });

  it('dead-letters a CloudEvent without its type, naming the header', async () => {
    const dead = deferred<Readonly<Record<string, string>>>();
    await messaging.messageHandler({ topic: 'orders.dlq', groupId: 'ops' }, async (_message, ctx) => dead.resolve(ctx.headers)).start();
    await messaging.createConsumer({ groupId: 'g', topics: 'orders', handlers: {} }).start();
    await messaging.getProducer().send('orders', {}, { headers: { ce_specversion: '1.0', ce_id: 'c-1', ce_source: 's' } });
    const headers = await withTimeout(dead.promise, 5_000, 'the dead letter');
    assert.equal(headers[dl.reason], 'malformed');
    assert.match(headers[dl.error] ?? '', /required `ce_type` header is missing/);
  });
});
