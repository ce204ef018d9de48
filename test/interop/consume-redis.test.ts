import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { createRedisBroker } from '../../adapters/redis/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { consumeCases, type Binding, type ConsumeCase } from './consume-cases.js';
import { runCases } from './run-cases.js';
import { requireClients, run } from './third-party.js';

const url = brokers.redis.url;

/** redis-py writes stream entries as eventwire lays them out: `value`, `key`, other fields beside them. */
const binding: Binding = {
  cePrefix: 'ce_',
  binary: (attributes, contentType) => ({ fields: [...Object.entries(attributes).map(([name, value]) => [`ce_${name}`, value] as const), ['content-type', contentType]] }),
  contentType: (contentType) => ({ fields: [['content-type', contentType]] }),
  key: (key) => ({ key }),
  pythonId: (topic, produced) => `${topic}/${(produced as { id: string }).id}`,
};

/** redis-cli writes the Python original's envelope, as a shell script of the old service would. */
const viaRedisCli: ConsumeCase = {
  label: 'redis-cli',
  message: { value: Buffer.from(JSON.stringify({ name: 'interop.python', data: { case: 'redis-cli' }, timestamp: '2026-02-01T12:00:00', source: 'cli' })) },
  async send(topic) {
    const result = await run('redis-cli', ['-u', url, 'XADD', topic, '*', 'value', this.message.value.toString('utf8')], '', 30_000);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout.trim();
  },
  check(outcome, produced, topic) {
    assert.equal(outcome.kind, 'handled');
    if (outcome.kind !== 'handled') return;
    assert.equal(outcome.event.id, `${topic}/${String(produced)}`);
    assert.equal(outcome.event.timestamp, '2026-02-01T12:00:00.000Z');
  },
};

/** A binary-mode CloudEvent whose attributes travel as `ce_*` keys of the `headers` JSON field. */
const inHeadersField: ConsumeCase = {
  label: 'ce-in-headers-field',
  message: {
    value: Buffer.from(JSON.stringify({ case: 'ce-in-headers-field' })),
    fields: [['headers', JSON.stringify({ ce_specversion: '1.0', ce_id: 'h-1', ce_source: 'svc', ce_type: 'interop.ce-binary', 'content-type': 'application/json' })]],
  },
  check(outcome) {
    assert.equal(outcome.kind, 'handled');
    if (outcome.kind !== 'handled') return;
    assert.deepEqual([outcome.event.id, outcome.event.name, outcome.event.cloudEvent?.mode], ['h-1', 'interop.ce-binary', 'binary']);
  },
};

describe('interop: third-party producers → eventwire consumer on Redis', function () {
  this.timeout(60_000);
  const opened: Broker[] = [];
  const topics: string[] = [];

  before(async function () {
    await requireBroker(this, 'redis');
    await requireClients(this, ['redis-py', 'redis-cli']);
  });

  after(async () => {
    await Promise.all(opened.splice(0).map((broker) => broker.close()));
    if (topics.length === 0) return; // skipped: nothing was written
    const admin = new Redis(url);
    await admin.del(...topics.flatMap((topic) => [topic, `${topic}.dlq`]));
    admin.disconnect();
  });

  it('handles or dead-letters with a reason each message redis-py and redis-cli write, and keeps consuming', async () => {
    const topic = `ew-interop-${randomBytes(4).toString('hex')}`;
    topics.push(topic);
    const connect = (): Broker => {
      const broker = createRedisBroker({ url, logger: silentLogger });
      opened.push(broker);
      return broker;
    };
    await runCases({ connect, topic, script: 'produce_redis.py', url, cases: [...consumeCases(binding), viaRedisCli, inHeadersField], timeoutMs: 15_000 });
  });
});
