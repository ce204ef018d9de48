import { strict as assert } from 'node:assert';
import { randomBytes, randomUUID } from 'node:crypto';
import { createKafkaBroker } from '../../adapters/kafka/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import type { ConsumeCase } from './consume-cases.js';
import { runCases } from './run-cases.js';
import type { Outcome } from './scene.js';
import { KAFKA_LIB, requireClients, run } from './third-party.js';

const bootstrap = brokers.kafka.url;

/**
 * Writes one record with Kafka's own Java console producer (kafka-console-producer.sh's class,
 * from the jars scripts/brokers.sh fetches): one input line `headers<TAB>key<TAB>value`, headers
 * as `name:value` separated by commas (the first `:` separates), or `key<TAB>value` without
 * headers. The line reader writes the text as UTF-8 bytes.
 */
async function consoleProduce(topic: string, headers: readonly (readonly [string, string])[], key: string, value: string): Promise<void> {
  const args = [
    '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-cp', `${KAFKA_LIB}*`, 'org.apache.kafka.tools.ConsoleProducer',
    '--bootstrap-server', bootstrap, '--topic', topic,
    '--property', 'parse.key=true', '--property', 'key.separator=\t',
  ];
  // The reader refuses an empty headers part: a record without headers is written without it.
  const withHeaders = ['--property', 'parse.headers=true', '--property', 'headers.delimiter=\t', '--property', 'headers.separator=,', '--property', 'headers.key.separator=:'];
  const prefix = headers.length === 0 ? '' : `${headers.map(([name, text]) => `${name}:${text}`).join(',')}\t`;
  const result = await run('java', headers.length === 0 ? args : [...args, ...withHeaders], `${prefix}${key}\t${value}\n`, 60_000);
  assert.equal(result.code, 0, `the console producer failed: ${result.stderr}`);
}

function handled(outcome: Outcome, label: string): Extract<Outcome, { kind: 'handled' }> {
  assert.equal(outcome.kind, 'handled', `${label}: expected it handled, got a dead letter: ${outcome.kind === 'dead-letter' ? outcome.headers['eventwire-error'] : ''}`);
  return outcome as Extract<Outcome, { kind: 'handled' }>;
}

/** A case whose record the console producer writes; `value` is its text. */
function viaConsole(label: string, value: string, key: string, headers: readonly (readonly [string, string])[], check: ConsumeCase['check']): ConsumeCase {
  return { label, message: { value: Buffer.from(value) }, send: (topic) => consoleProduce(topic, headers, key, value), check };
}

function consoleCases(): ConsumeCase[] {
  const ceId = `java-${randomUUID()}`;
  const python = JSON.stringify({ name: 'interop.python', data: { case: 'console-python' }, timestamp: '2026-02-01T12:00:00.123456', source: 'legacy-py' });
  const structured = JSON.stringify({ specversion: '1.0', id: `st-${ceId}`, source: 'urn:java', type: 'interop.ce-structured', time: '2026-02-01T12:00:00Z', datacontenttype: 'application/json', data: { case: 'console-structured' } });
  const binaryHeaders = [['ce_specversion', '1.0'], ['ce_id', ceId], ['ce_source', '/java'], ['ce_type', 'interop.ce-binary'], ['ce_time', '2026-02-01T12:00:00+01:00'], ['content-type', 'application/json']] as const;
  const notJson = 'not json: written by the console producer <<>>';
  return [
    viaConsole('console-python', python, 'order-1', [], (outcome, _produced, topic) => {
      const { event, ctx } = handled(outcome, 'console-python');
      // No id in the envelope: it is the record's topic/partition/offset, the same record as ctx.messageId (partition:offset).
      assert.equal(event.id, `${topic}/${ctx.messageId.replace(':', '/')}`);
      assert.deepEqual([event.name, event.source, event.timestamp, event.data, ctx.key], ['interop.python', 'legacy-py', '2026-02-01T12:00:00.123Z', { case: 'console-python' }, 'order-1']);
    }),
    viaConsole('console-structured', structured, 'order-2', [['content-type', 'application/cloudevents+json; charset=utf-8']], (outcome) => {
      const { event, ctx } = handled(outcome, 'console-structured');
      assert.deepEqual([event.id, event.name, event.source, event.timestamp, event.data, ctx.key], [`st-${ceId}`, 'interop.ce-structured', 'urn:java', '2026-02-01T12:00:00.000Z', { case: 'console-structured' }, 'order-2']);
      assert.equal(event.cloudEvent?.mode, 'structured');
    }),
    viaConsole('console-binary', '{"case":"console-binary"}', 'order-3', binaryHeaders, (outcome) => {
      const { event, ctx } = handled(outcome, 'console-binary');
      assert.deepEqual([event.id, event.name, event.source, event.timestamp, ctx.key], [ceId, 'interop.ce-binary', '/java', '2026-02-01T11:00:00.000Z', 'order-3']);
      assert.equal(event.cloudEvent?.mode, 'binary');
    }),
    viaConsole('console-non-json', notJson, 'order-9', [['origin', 'console']], (outcome, _produced, topic) => {
      assert.equal(outcome.kind, 'dead-letter', 'non-JSON bytes are dead-lettered');
      if (outcome.kind !== 'dead-letter') return;
      assert.deepEqual(outcome.value, Buffer.from(notJson), 'the dead letter keeps the bytes');
      assert.equal(outcome.key, 'order-9', 'and the key');
      assert.equal(outcome.headers.origin, 'console', 'and the producer\'s headers');
      assert.deepEqual([outcome.headers['eventwire-reason'], outcome.headers['eventwire-original-topic']], ['malformed', topic]);
      assert.match(outcome.headers['eventwire-error'] ?? '', /not valid JSON/);
    }),
  ];
}

describe('interop: Kafka\'s Java console producer → eventwire consumer', function () {
  this.timeout(120_000);
  const opened: Broker[] = [];

  before(async function () {
    await requireBroker(this, 'kafka');
    await requireClients(this, ['kafka-console-producer']);
  });

  after(() => Promise.all(opened.splice(0).map((broker) => broker.close())));

  it('handles the Python envelope and CloudEvents it writes, dead-letters non-JSON with its key, and keeps consuming', async () => {
    const topic = `ew-interop-console-${randomBytes(4).toString('hex')}`;
    const connect = (): Broker => {
      const broker = createKafkaBroker({ bootstrapServers: bootstrap, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000, logger: silentLogger });
      opened.push(broker);
      return broker;
    };
    await runCases({ connect, topic, script: 'produce_kafka.py', url: bootstrap, cases: consoleCases(), timeoutMs: 30_000 });
  });
});
