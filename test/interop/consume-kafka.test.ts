import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { createKafkaBroker } from '../../adapters/kafka/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { consumeCases, type Binding, type ConsumeCase } from './consume-cases.js';
import { runCases } from './run-cases.js';
import { requireClients, run } from './third-party.js';

const bootstrap = brokers.kafka.url;

/** confluent-kafka writes Kafka records: CloudEvents attributes as `ce_*` headers, the data content type as `content-type`. */
const binding: Binding = {
  cePrefix: 'ce_',
  binary: (attributes, contentType) => ({ headers: [...Object.entries(attributes).map(([name, value]) => [`ce_${name}`, value] as const), ['content-type', contentType]] }),
  contentType: (contentType) => ({ headers: [['content-type', contentType]] }),
  key: (key) => ({ key }),
  pythonId: (topic, produced) => {
    const { partition, offset } = produced as { partition: number; offset: number };
    return `${topic}/${partition}/${offset}`;
  },
};

/** kcat writes a binary-mode CloudEvent with a key, as a shell script would. */
const viaKcat: ConsumeCase = {
  label: 'kcat',
  message: { value: Buffer.from('{"case":"kcat"}') },
  async send(topic) {
    const headers = ['ce_specversion=1.0', 'ce_id=kcat-1', 'ce_source=/shell', 'ce_type=interop.ce-binary', 'ce_time=2026-02-01T12:00:00Z', 'content-type=application/json'];
    const args = ['-P', '-b', bootstrap, '-t', topic, '-k', 'order-9', ...headers.flatMap((header) => ['-H', header])];
    const result = await run('kcat', args, `${this.message.value.toString('utf8')}\n`, 30_000);
    assert.equal(result.code, 0, result.stderr);
    return undefined;
  },
  check(outcome) {
    assert.equal(outcome.kind, 'handled');
    if (outcome.kind !== 'handled') return;
    assert.deepEqual([outcome.event.id, outcome.event.name, outcome.event.source, outcome.event.timestamp, outcome.ctx.key], ['kcat-1', 'interop.ce-binary', '/shell', '2026-02-01T12:00:00.000Z', 'order-9']);
  },
};

describe('interop: third-party producers → eventwire consumer on Kafka', function () {
  this.timeout(90_000);
  const opened: Broker[] = [];

  before(async function () {
    await requireBroker(this, 'kafka');
    await requireClients(this, ['confluent-kafka', 'kcat']);
  });

  after(() => Promise.all(opened.splice(0).map((broker) => broker.close())));

  it('handles or dead-letters with a reason each record confluent-kafka and kcat write, and keeps consuming', async () => {
    const topic = `ew-interop-${randomBytes(4).toString('hex')}`;
    const connect = (): Broker => {
      const broker = createKafkaBroker({ bootstrapServers: bootstrap, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, logger: silentLogger });
      opened.push(broker);
      return broker;
    };
    await runCases({ connect, topic, script: 'produce_kafka.py', url: bootstrap, cases: [...consumeCases(binding), viaKcat], timeoutMs: 30_000 });
  });
});
