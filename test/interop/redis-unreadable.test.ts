import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createMessaging, deadLetterHeaders as dl, type Event, type Logger, type Messaging } from '../../entry/index.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { withTimeout } from '../support/wait.js';

// Stream entries another writer laid out badly (redis-cli, redis-py, a hand-written script):
// nothing is silently emptied or lost. A garbled `headers` field is left out with a log line and
// a counter, and the message is handled; an entry without `value` is dead-lettered with a reason
// that names the field, its fields kept as they were.

const url = brokers.redis.url;

function recordingLogger(): Logger & { readonly warnings: string[] } {
  const warnings: string[] = [];
  const ignore = (): void => {};
  return { warnings, debug: ignore, info: ignore, error: ignore, warn: (message: string) => void warnings.push(message) };
}

describe('Redis entries laid out by another writer', function () {
  this.timeout(30_000);
  let admin: Redis;
  let messaging: Messaging;
  let logger: ReturnType<typeof recordingLogger>;
  let topic: string;

  before(async function () {
    await requireBroker(this, 'redis');
    admin = new Redis(url);
  });
  after(() => admin?.disconnect());
  beforeEach(() => {
    topic = `ew-unreadable-${randomUUID().slice(0, 8)}`;
    logger = recordingLogger();
    messaging = createMessaging({ broker: 'redis', url, source: 'tests', logger });
  });
  afterEach(async () => {
    await messaging.close();
    await admin.del(topic, `${topic}.dlq`);
  });

  const event = (name: string): string => JSON.stringify({ id: randomUUID(), name, data: { n: 1 }, timestamp: '2026-02-01T12:00:00.000Z', source: 'py' });

  for (const [label, headers, kept] of [
    ['not JSON', '{tenant: acme', {}],
    ['not an object', '["acme"]', {}],
    ['an object with a value that is not a string', '{"tenant":"acme","retries":3}', { tenant: 'acme' }],
  ] as const) {
    it(`handles an entry whose headers field is ${label}, logging and counting what it left out`, async () => {
      const handled = Promise.withResolvers<Readonly<Record<string, string>>>();
      messaging.createConsumer({ groupId: 'g', topics: [topic], handlers: { 'order.placed': async (_event: Event, ctx) => handled.resolve(ctx.headers) } });
      const running = await messaging.runConsumers();
      await admin.xadd(topic, '*', 'value', event('order.placed'), 'headers', headers);
      const seen = await withTimeout(handled.promise, 10_000, 'the handler');
      assert.deepEqual({ ...seen }, kept);
      assert.equal(messaging.stats().unreadableParts, 1);
      assert.equal(logger.warnings.filter((line) => line.includes('`headers` field')).length, 1, logger.warnings.join('\n'));
      await running.stop();
    });
  }

  it('dead-letters an entry without a value field, naming it, with its fields kept as they were', async () => {
    let calls = 0;
    messaging.createConsumer({ groupId: 'g', topics: [topic], handlers: { 'order.placed': async () => void (calls += 1) } });
    const running = await messaging.runConsumers();
    const payload = event('order.placed');
    await admin.xadd(topic, '*', 'payload', payload, 'tenant', 'acme');
    // Read the dead letter as it is stored: still without `value`, so no JSON handler could take it.
    const reply = (await admin.xread('BLOCK', 10_000, 'STREAMS', `${topic}.dlq`, '0')) as [string, [string, string[]][]][] | null;
    const fields = reply?.[0]?.[1][0]?.[1] ?? [];
    assert.deepEqual(fields.slice(0, 4), ['payload', payload, 'tenant', 'acme'], 'the entry\'s fields, in order, with their values');
    assert.deepEqual(fields.filter((_, index) => index % 2 === 0), ['payload', 'tenant', 'headers'], 'only the reason headers are added');
    const headers = JSON.parse(fields[5] ?? '{}') as Record<string, string>;
    assert.equal(headers[dl.reason], 'malformed');
    assert.match(headers[dl.error] ?? '', /no `value` field \(its fields: payload, tenant\)/);
    assert.equal(calls, 0);
    await running.stop();
  });
});
