import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { consumerQueues } from '../support/leftover-queues.js';
import { brokers, requireBroker } from '../support/require-broker.js';

// eventwire beside @opentelemetry/instrumentation-kafkajs and -amqplib (real packages, real
// brokers): one event makes one PRODUCER and one CONSUMER span, never two of each. Each case runs
// in a child process that sets the SDK and the instrumentations up before eventwire loads, as an
// application does (test/fixtures/otel/client-instrumented.ts).

const run = promisify(execFile);

interface FinishedSpan {
  readonly name: string;
  readonly kind: string;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
}

interface Outcome {
  readonly spans: readonly FinishedSpan[];
  readonly infos: readonly string[];
}

async function oneEvent(broker: 'kafka' | 'rabbitmq', topic: string, tracing: 'on' | 'off'): Promise<Outcome> {
  const args = ['--import', 'tsx', 'test/fixtures/otel/client-instrumented.ts', broker, brokers[broker].url, topic, tracing];
  const { stdout } = await run(process.execPath, args, { timeout: 90_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Outcome;
}

function ofKind(outcome: Outcome, kind: 'PRODUCER' | 'CONSUMER'): FinishedSpan[] {
  return outcome.spans.filter((span) => span.kind === kind);
}

const instrumentations = { kafka: '@opentelemetry/instrumentation-kafkajs', rabbitmq: '@opentelemetry/instrumentation-amqplib' } as const;

for (const broker of ['kafka', 'rabbitmq'] as const) {
  describe(`tracing beside ${instrumentations[broker]}`, function () {
    this.timeout(120_000);
    const queues = consumerQueues();
    const topic = (): string => `otel-client-${randomBytes(4).toString('hex')}`;
    const started = (name: string): string => {
      queues.add(`${name}.group`, [name]);
      return name;
    };

    before(async function () {
      await requireBroker(this, broker);
    });
    after(async () => {
      if (broker === 'rabbitmq') await queues.delete();
    });

    it('makes one PRODUCER and one CONSUMER span per event, eventwire\'s, in one trace, and says why', async () => {
      const outcome = await oneEvent(broker, started(topic()), 'on');
      const [send, ...moreSends] = ofKind(outcome, 'PRODUCER');
      const [process, ...moreProcesses] = ofKind(outcome, 'CONSUMER');
      const names = outcome.spans.map((span) => `${span.kind} ${span.name} (${span.scope})`).join(', ');
      assert.ok(send !== undefined && moreSends.length === 0, `one PRODUCER span expected: ${names}`);
      assert.ok(process !== undefined && moreProcesses.length === 0, `one CONSUMER span expected: ${names}`);
      assert.equal(send.scope, 'eventwire');
      assert.equal(process.scope, 'eventwire');
      assert.equal(process.traceId, send.traceId);
      assert.equal(process.parentSpanId, send.spanId);
      assert.ok(outcome.infos.some((line) => line.startsWith(`${instrumentations[broker]} is active`)), outcome.infos.join('\n'));
    });

    it('leaves the instrumentation\'s own spans, one of each, when eventwire\'s tracing is off', async () => {
      const outcome = await oneEvent(broker, started(topic()), 'off');
      const names = outcome.spans.map((span) => `${span.kind} ${span.name} (${span.scope})`).join(', ');
      const producers = ofKind(outcome, 'PRODUCER');
      const consumers = ofKind(outcome, 'CONSUMER');
      assert.equal(producers.length, 1, names);
      assert.equal(consumers.length, 1, names);
      assert.deepEqual([producers[0]?.scope, consumers[0]?.scope], [instrumentations[broker], instrumentations[broker]]);
      assert.equal(consumers[0]?.parentSpanId, producers[0]?.spanId);
      assert.deepEqual(outcome.infos, []);
    });
  });
}
