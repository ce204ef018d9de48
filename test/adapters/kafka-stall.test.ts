import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { connect as connectTcp } from 'node:net';
import { createKafkaBroker } from '../../adapters/kafka/index.js';
import { createProxy, type ConnectionTap } from '../support/proxy.js';
import type { Broker } from '../../lib/broker.js';
import type { Logger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

const bootstrap = brokers.kafka.url.split(',');
const kafkaPort = Number(bootstrap[0]?.split(':')[1] ?? 9092);
/** Kafka's Fetch request (api key 1). */
const FETCH = 1;

/**
 * A proxy tap that, once `freeze()` was called, drops every Fetch request sent on a connection
 * opened before that call, and forwards everything else: the member's heartbeats, commits and
 * metadata requests still reach the broker, so kafkajs sees a healthy group, but its fetches are
 * never answered. Connections opened later are not touched.
 */
function fetchFreezer(): { tap: () => ConnectionTap; freeze(): void; readonly dropped: number } {
  let generation = 0;
  let frozenBelow = 0;
  let dropped = 0;
  const tap = (): ConnectionTap => {
    const opened = generation;
    let pending = Buffer.alloc(0);
    return {
      toBroker(chunk) {
        // Kafka requests: int32 size, then int16 api key. Whole requests are forwarded.
        pending = Buffer.concat([pending, chunk]);
        const forward: Buffer[] = [];
        while (pending.length >= 6 && pending.length >= 4 + pending.readInt32BE(0)) {
          const size = 4 + pending.readInt32BE(0);
          if (opened < frozenBelow && pending.readInt16BE(4) === FETCH) dropped += 1;
          else forward.push(pending.subarray(0, size));
          pending = pending.subarray(size);
        }
        return Buffer.concat(forward);
      },
    };
  };
  return {
    tap,
    freeze() {
      generation += 1;
      frozenBelow = generation;
    },
    get dropped() {
      return dropped;
    },
  };
}

describe('Kafka adapter: stall guard', function () {
  this.timeout(90_000);
  const opened: Broker[] = [];

  before(async function () {
    await requireBroker(this, 'kafka');
  });

  /** Before the proxy closes: a client whose broker vanished retries in the background. */
  const closeAll = (): Promise<unknown> => Promise.all(opened.splice(0).map((broker) => broker.close()));
  after(closeAll);

  it('rejoins a member whose fetches go unanswered while the broker answers, and resumes', async () => {
    const freezer = fetchFreezer();
    const proxy = await createProxy(kafkaPort, { tap: freezer.tap });
    const lines: string[] = [];
    const handledAfterStall = deferred();
    const logger: Logger = {
      debug() {},
      info() {},
      error() {},
      warn: (message) => void lines.push(message),
    };
    try {
      // Kafka advertises its own address: every socket the member opens goes through the proxy.
      const socketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) =>
        connectTcp({ host, port: port === kafkaPort ? proxy.port : port }, onConnect);
      const member = createKafkaBroker({
        bootstrapServers: [`127.0.0.1:${proxy.port}`],
        clientOptions: { socketFactory },
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 1_000,
        stallTimeoutMs: 8_000,
        logger,
      });
      const publisher = createKafkaBroker({ bootstrapServers: bootstrap, logger });
      opened.push(member, publisher);
      const topic = `eventwire-test-stall-${randomUUID().slice(0, 8)}`;
      const handled: string[] = [];
      const first = deferred();
      const controller = new AbortController();
      const stallLine = (): number => lines.findIndex((line) => line.startsWith('Kafka consumer stalled'));
      /** Where the stall line stood in the log when the message after the freeze was handled. */
      let stallLineWhenHandled = -2;
      await member.subscribe({ groupId: `eventwire-test-stall-${randomUUID().slice(0, 8)}`, topics: [topic], concurrency: 1, signal: controller.signal }, async (message) => {
        const value = message.value.toString();
        handled.push(value);
        if (value === 'before') first.resolve();
        if (value === 'after') {
          stallLineWhenHandled = stallLine();
          handledAfterStall.resolve();
        }
      });
      await publisher.publish(topic, [{ key: 'k', headers: {}, value: Buffer.from('before') }]);
      await withTimeout(first.promise, 20_000, 'the message published before the freeze');

      freezer.freeze();
      await publisher.publish(topic, [{ key: 'k', headers: {}, value: Buffer.from('after') }]);
      // A bound for a failure to show, not a measure: the guard acts after 8 s without a fetch.
      await withTimeout(handledAfterStall.promise, 60_000, 'the message published after the freeze');
      controller.abort();

      assert.ok(freezer.dropped > 0, 'the frozen connections sent fetches that were dropped');
      assert.ok(stallLineWhenHandled >= 0, `the stall was logged before the message was handled; warnings: ${JSON.stringify(lines)}`);
      assert.deepEqual(handled, ['before', 'after']);
    } finally {
      await closeAll();
      await proxy.close();
    }
  });
});
