import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { createMessaging, deadLetterHeaders as dl, silentLogger, UnrecoverableError, type Messaging } from '../../entry/index.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { withTimeout } from '../support/wait.js';

// The README's promise on Redis: a dead letter keeps every field of the entry, names, bytes and
// order, with the eventwire-* reason headers added in its `headers` field. Checked with what only
// a raw client writes: non-UTF-8 bytes in the value, the key and a foreign field, a CloudEvent
// attribute field, a `headers` field that is not JSON.

const url = brokers.redis.url;

type Fields = [name: string, value: Buffer][];

/** The first entry of `stream`, once there is one, as [name, bytes] pairs in order. */
async function firstEntry(admin: Redis, stream: string): Promise<Fields> {
  const reply = await withTimeout(admin.xreadBuffer('BLOCK', 20_000, 'STREAMS', stream, '0'), 25_000, `an entry on ${stream}`);
  const fields = reply?.[0]?.[1][0]?.[1];
  assert.ok(fields !== undefined, `no entry reached ${stream}`);
  const pairs: Fields = [];
  for (let index = 0; index + 1 < fields.length; index += 2) pairs.push([String(fields[index]), fields[index + 1] as Buffer]);
  return pairs;
}

function field(fields: Fields, name: string): Buffer | undefined {
  return fields.find(([candidate]) => candidate === name)?.[1];
}

describe('Redis dead letters keep the entry\'s fields', function () {
  this.timeout(60_000);
  let admin: Redis;
  let messaging: Messaging | undefined;
  let topic: string;

  before(async function () {
    await requireBroker(this, 'redis');
    admin = new Redis(url);
  });
  after(() => admin?.disconnect());
  beforeEach(() => {
    topic = `ew-dlq-fields-${randomBytes(4).toString('hex')}`;
  });
  afterEach(async () => {
    await messaging?.close();
    messaging = undefined;
    await admin.del(topic, `${topic}.dlq`);
  });

  /** Starts a consumer of `topic` (its new group reads from the end of the stream, so it starts first). */
  async function consume(handler: () => Promise<void> = async () => {}): Promise<{ stop(): Promise<void> }> {
    messaging = createMessaging({ broker: 'redis', url, source: 'tests', logger: silentLogger });
    messaging.createConsumer({ groupId: `g-${topic}`, topics: [topic], handlers: { 'order.placed': handler } });
    return messaging.runConsumers();
  }

  it('writes every field with its bytes, in order, and merges the reason headers into `headers`', async () => {
    const running = await consume();
    const sent: Fields = [
      ['value', Buffer.from([0x6e, 0x6f, 0xff])], // not JSON: dead-lettered at once as malformed
      ['key', Buffer.from([0xff, 0x01])],
      ['headers', Buffer.from('{"tenant":"acme"}')],
      ['trace-bytes', Buffer.from([0xff, 0x00])],
      ['ce_id', Buffer.from('ce-1')],
    ];
    await admin.xadd(topic, '*', ...sent.flat());
    const dead = await firstEntry(admin, `${topic}.dlq`);
    await running.stop();

    assert.deepEqual(dead.map(([name]) => name), sent.map(([name]) => name), 'the same field names, in the same order');
    for (const [name, bytes] of sent) if (name !== 'headers') assert.deepEqual(field(dead, name), bytes, `the ${name} field keeps its bytes`);
    const headers = JSON.parse(String(field(dead, 'headers'))) as Record<string, string>;
    assert.equal(headers.tenant, 'acme');
    assert.equal(headers[dl.reason], 'malformed');
    assert.equal(headers[dl.topic], topic);
    assert.equal(headers[dl.group], `g-${topic}`);
    const foreign = Object.keys(headers).filter((name) => name !== 'tenant' && !name.startsWith('eventwire-'));
    assert.deepEqual(foreign, [], 'the other fields stay fields, not copies in `headers`');
  });

  for (const [label, original, read] of [
    ['not JSON', Buffer.from([0x7b, 0x74, 0x3a, 0xff, 0x7d]), {}], // "{t:\xff}"
    ['JSON that is not valid UTF-8', Buffer.from([...Buffer.from('{"t":"'), 0xff, ...Buffer.from('"}')]), { t: '\ufffd' }],
    ['an object with a value that is not a string', Buffer.from('{"tenant":"acme","retries":3}'), { tenant: 'acme' }],
  ] as const) {
    it(`keeps a \`headers\` field that is ${label} under eventwire-original-headers, with its bytes`, async () => {
      const running = await consume();
      await admin.xadd(topic, '*', 'value', Buffer.from('not json'), 'headers', original, 'region', 'eu');
      const dead = await firstEntry(admin, `${topic}.dlq`);
      await running.stop();

      assert.deepEqual(dead.map(([name]) => name), ['value', 'headers', 'region', 'eventwire-original-headers']);
      assert.deepEqual(field(dead, 'eventwire-original-headers'), original);
      assert.equal(String(field(dead, 'region')), 'eu');
      const headers = JSON.parse(String(field(dead, 'headers'))) as Record<string, string>;
      assert.equal(headers[dl.reason], 'malformed');
      const kept = Object.fromEntries(Object.entries(headers).filter(([name]) => !name.startsWith('eventwire-')));
      assert.deepEqual(kept, read, 'the strings eventwire read of the field, and no copy of the other fields');
    });
  }

  it('appends a `headers` field after the others when the entry had none', async () => {
    const running = await consume(async () => {
      throw new UnrecoverableError('no such order');
    });
    const value = Buffer.from(JSON.stringify({ id: randomUUID(), name: 'order.placed', data: { n: 1 }, timestamp: '2026-02-01T12:00:00.000Z', source: 'py' }));
    await admin.xadd(topic, '*', 'value', value, 'content-type', 'application/json');
    const dead = await firstEntry(admin, `${topic}.dlq`);
    await running.stop();

    assert.deepEqual(dead.map(([name]) => name), ['value', 'content-type', 'headers']);
    assert.deepEqual(field(dead, 'value'), value);
    const headers = JSON.parse(String(field(dead, 'headers'))) as Record<string, string>;
    assert.equal(headers[dl.reason], 'unrecoverable');
    assert.equal(headers[dl.error], 'no such order');
  });
});
