import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { connect } from 'amqplib';
import { brokers, requireBroker, type RealBrokerName } from './support/require-broker.js';

const run = promisify(execFile);

async function demo(broker: string, env: Record<string, string> = {}, args: readonly string[] = []): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/demo.ts', ...args], {
    env: { ...process.env, MESSAGING_BROKER: broker, ...env },
    timeout: 90_000,
  });
  return stdout;
}

// The example's group (order-service) is durable on the real brokers: events that other runs
// published to user-events while no demo ran reach this one first, so order numbers may vary.
function assertFlow(stdout: string): void {
  assert.match(stdout, /HTTP 201 \{"id":1,"email":"ana@example.com"\}/);
  assert.match(stdout, /order-service: welcome order \d+ for user 1 <ana@example.com>/);
  assert.match(stdout, /email: "Order #\d+ received." sent to ana@example.com/);
  assert.match(stdout, /demo: done/);
}

describe('npm run demo', function () {
  this.timeout(120_000);

  it('shows an event flowing from an HTTP request to the handlers on the memory broker', async () => {
    assertFlow(await demo('memory'));
  });

  it('prints nothing of a trace without --trace', async () => {
    assert.doesNotMatch(await demo('memory'), /^demo: trace /m);
  });

  it('with --trace prints one trace: request, send, process, follow-up send, process, each the child of the one before', async () => {
    const stdout = await demo('memory', {}, ['--trace']);
    assertFlow(stdout);
    const tree = stdout.slice(stdout.indexOf('demo: done')).split('\n').filter((line) => line.startsWith('demo: ') && !line.startsWith('demo: done'));
    const traces = tree.filter((line) => /^demo: trace [\da-f]{32}$/.test(line));
    assert.equal(traces.length, 1, `one trace id expected:\n${tree.join('\n')}`);
    // Each span one level under the one before it: the indentation is the parent chain.
    const spans = tree.slice(1).map((line) => /^demo: ( +)(.*)$/.exec(line));
    const expected = [
      /^POST \[SERVER\]/,
      /^send user-events \[PRODUCER\] user\.created,/,
      /^process user-events \[CONSUMER\] user\.created, group order-service,/,
      /^send orders\.created \[PRODUCER\]/,
      /^process orders\.created \[CONSUMER\] group user-service\.sendOrderConfirmation,/,
    ];
    assert.equal(spans.length, expected.length, tree.join('\n'));
    spans.forEach((match, index) => {
      assert.ok(match !== null, tree.join('\n'));
      assert.equal(match[1]?.length, 2 * (index + 1), `depth of "${match[2] ?? ''}"`);
      assert.match(match[2] ?? '', expected[index] as RegExp);
    });
  });

  it('takes its topic and group names from EXAMPLE_PREFIX and EXAMPLE_* variables', async () => {
    const stdout = await demo('memory', { EXAMPLE_PREFIX: 'dev-ana.', EXAMPLE_ORDER_GROUP: 'ana-orders' });
    assertFlow(stdout);
    assert.match(stdout, /consumers: ana-orders <- dev-ana\.user-events, dev-ana\.payment-events; dev-ana\.user-service\.sendOrderConfirmation <- dev-ana\.orders\.created/);
  });

  for (const broker of ['redis', 'rabbitmq', 'kafka'] as const satisfies readonly RealBrokerName[]) {
    describe(`on ${broker}`, () => {
      before(async function () {
        await requireBroker(this, broker);
      });
      it(`runs the same flow with MESSAGING_BROKER=${broker}`, async () => {
        if (broker !== 'rabbitmq') return assertFlow(await demo(broker));
        // Names of its own on RabbitMQ: a queue's type cannot change in place, and the shared
        // broker may hold the example's queues from a version that declared them classic.
        const stdout = await demo(broker, { EXAMPLE_PREFIX: `demo-${randomUUID().slice(0, 8)}.` });
        await deleteDemoQueues(stdout);
        assertFlow(stdout);
      });
    });
  }
});

/** Deletes the queues of the groups and topics the demo's "consumers:" line names, and their dead-letter queues. */
async function deleteDemoQueues(stdout: string): Promise<void> {
  const line = /consumers: (.*)$/m.exec(stdout)?.[1] ?? '';
  const queues = line.split('; ').flatMap((entry) => {
    const [group, topics = ''] = entry.split(' <- ');
    return topics.split(', ').flatMap((topic) => [`${group}.${topic}`, `${topic}.dlq`]);
  });
  const admin = await connect(brokers.rabbitmq.url);
  try {
    const channel = await admin.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
  } finally {
    await admin.close();
  }
}
