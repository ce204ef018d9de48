import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { connect as connectAmqp } from 'amqplib';
import { Redis } from 'ioredis';
import { createKafkaBroker } from '../../adapters/kafka/index.js';
import { createMemoryBroker, createMemoryServer } from '../../adapters/memory/index.js';
import { createRabbitMqBroker } from '../../adapters/rabbitmq/index.js';
import { createRedisBroker } from '../../adapters/redis/index.js';
import type { Broker } from '../../lib/broker.js';
import { InvalidArgumentError } from '../../lib/errors/index.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker, type RealBrokerName } from '../support/require-broker.js';
import { deferred, withTimeout } from '../support/wait.js';

/**
 * `redeliveryDelayMs` has one meaning on every broker: the minimum time between a delivery the
 * handler chain rejected and its redelivery. Each case sets it well above the broker's default,
 * rejects the first delivery and checks that the second came no sooner. Only "not before" is
 * asserted; how much later it comes depends on the machine and is bounded only by the timeout.
 */
const DELAY_MS = 1_500;
/** Timers fire no earlier than asked; performance.now() and the timer clock may disagree by a millisecond. */
const SLACK_MS = 5;
const WAIT_MS = 30_000;

const unique = (what: string): string => `eventwire-redelivery-${what}-${randomUUID().slice(0, 8)}`;

/**
 * Subscribes `members` members of `groupId` to `topic`, publishes one message, rejects its first
 * delivery, and returns the time from that rejection to the next delivery (to any member).
 */
async function rejectionToRedelivery(broker: Broker, topic: string, groupId: string, members = 1): Promise<number> {
  const controller = new AbortController();
  let rejectedAt: number | undefined;
  const redelivered = deferred<number>();
  const deliver = async (): Promise<void> => {
    if (rejectedAt === undefined) {
      rejectedAt = performance.now();
      throw new Error('rejected on purpose');
    }
    redelivered.resolve(performance.now() - rejectedAt);
  };
  const subscriptions = [];
  for (let i = 0; i < members; i += 1) subscriptions.push(await broker.subscribe({ groupId, topics: [topic], concurrency: 1, signal: controller.signal }, deliver));
  try {
    await broker.publish(topic, [{ headers: {}, value: Buffer.from('{"n":1}') }]);
    return await withTimeout(redelivered.promise, WAIT_MS, 'the redelivery');
  } finally {
    controller.abort();
    await Promise.all(subscriptions.map((subscription) => subscription.closed.catch(() => {})));
  }
}

function assertNotBefore(elapsed: number): void {
  assert.ok(elapsed >= DELAY_MS - SLACK_MS, `redelivered ${Math.round(elapsed)} ms after the rejection, before redeliveryDelayMs (${DELAY_MS})`);
}

function invalidDelay(error: unknown): boolean {
  return error instanceof InvalidArgumentError && error.argument === 'redeliveryDelayMs' && /^Expected `redeliveryDelayMs` to be a non-negative integer, got -1\.$/.test(error.message);
}

describe('redeliveryDelayMs on every broker', function () {
  this.timeout(60_000);
  const real = (name: RealBrokerName) => async function (this: Mocha.Context) {
    await requireBroker(this, name);
  };

  describe('memory', () => {
    it('redelivers a rejected message no sooner than redeliveryDelayMs', async () => {
      const broker = createMemoryBroker({ server: createMemoryServer(), redeliveryDelayMs: DELAY_MS });
      assertNotBefore(await rejectionToRedelivery(broker, unique('topic'), unique('group'), 2));
      await broker.close();
    });

    it('refuses a negative redeliveryDelayMs', () => {
      assert.throws(() => createMemoryBroker({ redeliveryDelayMs: -1 }), invalidDelay);
    });
  });

  describe('redis', () => {
    before(real('redis'));

    it('redelivers no sooner than redeliveryDelayMs, also when claimIdleMs is shorter and another member could claim', async () => {
      const topic = unique('topic');
      const broker = createRedisBroker({ url: brokers.redis.url, claimIdleMs: 200, redeliveryDelayMs: DELAY_MS, logger: silentLogger });
      const admin = new Redis(brokers.redis.url);
      try {
        assertNotBefore(await rejectionToRedelivery(broker, topic, unique('group'), 2));
      } finally {
        await broker.close();
        await admin.del(topic);
        admin.disconnect();
      }
    });

    it('refuses a negative redeliveryDelayMs', () => {
      assert.throws(() => createRedisBroker({ url: brokers.redis.url, redeliveryDelayMs: -1 }), invalidDelay);
    });
  });

  describe('rabbitmq', () => {
    before(real('rabbitmq'));

    it('redelivers a rejected message no sooner than redeliveryDelayMs', async () => {
      const topic = unique('topic');
      const exchange = unique('exchange');
      const broker = createRabbitMqBroker({ url: brokers.rabbitmq.url, exchange, redeliveryDelayMs: DELAY_MS, logger: silentLogger });
      const groupId = unique('group');
      const admin = await connectAmqp(brokers.rabbitmq.url);
      try {
        assertNotBefore(await rejectionToRedelivery(broker, topic, groupId, 2));
      } finally {
        await broker.close();
        const channel = await admin.createChannel();
        await channel.deleteQueue(`${groupId}.${topic}`);
        await channel.deleteExchange(exchange);
        await channel.deleteExchange(`${exchange}.dlq`);
        await channel.close();
        await admin.close();
      }
    });

    it('refuses a negative redeliveryDelayMs', () => {
      assert.throws(() => createRabbitMqBroker({ url: brokers.rabbitmq.url, redeliveryDelayMs: -1 }), invalidDelay);
    });
  });

  describe('kafka', () => {
    before(real('kafka'));

    it('redelivers a rejected message no sooner than redeliveryDelayMs', async () => {
      const broker = createKafkaBroker({
        bootstrapServers: brokers.kafka.url,
        sessionTimeoutMs: 6_000,
        heartbeatIntervalMs: 1_000,
        partitions: 1,
        redeliveryDelayMs: DELAY_MS,
        logger: silentLogger,
      });
      try {
        assertNotBefore(await rejectionToRedelivery(broker, unique('topic'), unique('group')));
      } finally {
        await broker.close();
      }
    });

    it('refuses a negative redeliveryDelayMs', () => {
      assert.throws(() => createKafkaBroker({ bootstrapServers: '127.0.0.1:9092', redeliveryDelayMs: -1 }), invalidDelay);
    });
  });
});
