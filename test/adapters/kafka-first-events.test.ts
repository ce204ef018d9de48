import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createKafkaBroker } from '../../adapters/kafka/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../entry/index.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { withTimeout } from '../support/wait.js';

const bootstrap = brokers.kafka.url.split(',');
const GROUPS = 20;
const ROUNDS = 3;

/** A process that keeps one core busy until killed: the load under which the race showed. */
function burnCpu(): ChildProcess {
  return spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
}

describe('Kafka adapter: the first events after subscribe()', function () {
  this.timeout(180_000);
  let broker: Broker;
  let burner: ChildProcess | undefined;

  before(async function () {
    await requireBroker(this, 'kafka');
    broker = createKafkaBroker({ bootstrapServers: bootstrap, logger: silentLogger, sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 });
  });

  after(async () => {
    burner?.kill('SIGKILL');
    await broker?.close();
  });

  it(`delivers what is published right after ${GROUPS} groups subscribed to ${GROUPS} new topics at once, under CPU load (${ROUNDS} rounds)`, async () => {
    burner = burnCpu();
    for (let round = 0; round < ROUNDS; round += 1) {
      const id = randomUUID().slice(0, 8);
      const topics = Array.from({ length: GROUPS }, (_, index) => `eventwire-test-first-${id}-${index}`);
      const received = new Map<string, string[]>(topics.map((topic) => [topic, []]));
      const controller = new AbortController();
      const phase = { subscribed: 0, published: 'not yet' };
      const everything = new Promise<void>((resolve) => {
        const check = (): void => {
          if ([...received.values()].every((values) => values.length >= 2)) resolve();
        };
        void Promise.all(
          topics.map((topic) =>
            broker
              .subscribe({ groupId: `${topic}-group`, topics: [topic], concurrency: 1, signal: controller.signal }, async (message) => {
                received.get(topic)?.push(message.value.toString());
                check();
              })
              .then(() => void (phase.subscribed += 1)),
          ),
        ).then(async () => {
          // Right after every subscribe() resolved: a keyed and an unkeyed message per topic.
          await Promise.all(
            topics.map((topic) =>
              broker.publish(topic, [
                { key: 'k', headers: {}, value: Buffer.from('keyed') },
                { key: undefined, headers: {}, value: Buffer.from('unkeyed') },
              ]),
            ),
          ).then(
            () => void (phase.published = 'done'),
            (error: unknown) => void (phase.published = `failed: ${String(error)}`),
          );
        }, (error: unknown) => void (phase.published = `subscribe failed: ${String(error)}`));
      });
      try {
        // A bound for a failure to show; the events are normally there within a few seconds.
        await withTimeout(everything, 45_000, `every event of round ${round + 1}`).catch((error: unknown) => {
          const missing = [...received].filter(([, values]) => values.length < 2).map(([topic, values]) => `${topic}: ${JSON.stringify(values)}`);
          throw new Error(`${String(error)}; ${phase.subscribed} subscribed, publish ${phase.published}; topics missing events: ${missing.join('; ')}`);
        });
      } finally {
        controller.abort();
      }
      for (const [topic, values] of received) assert.deepEqual([...values].sort(), ['keyed', 'unkeyed'], topic);
    }
  });
});
