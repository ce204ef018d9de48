import { strict as assert } from 'node:assert';
import { backoffPolicy, retryDelay } from '../../lib/handling/backoff.js';
import { InvalidArgumentError } from '../../entry/index.js';
import { createTestMessaging, recordPublished } from '../../entry/testing.js';
import { memoryLogger } from '../support/memory-logger.js';

const invalid = (argument: string, message: string) => (error: unknown) =>
  error instanceof InvalidArgumentError && error.argument === argument && error.message === message;

/** Delays for failed attempts 1..count, with a fixed random draw. */
const delays = (options: Parameters<typeof backoffPolicy>[0], retryDelayMs: number, draw: number, count = 8) =>
  Array.from({ length: count }, (_, i) => retryDelay(backoffPolicy(options, retryDelayMs), i + 1, () => draw));

describe('retry backoff', () => {
  it('is linear by default: retryDelayMs before every retry, as the seed says', () => {
    assert.deepEqual(delays({}, 250, 0.3, 4), [250, 250, 250, 250]);
    assert.deepEqual(delays({ backoff: 'linear' }, 0, 0.9, 3), [0, 0, 0]);
  });

  it('exponential doubles from retryDelayMs up to maxRetryDelayMs; full jitter draws from 0 to that', () => {
    const options = { backoff: 'exponential', maxRetryDelayMs: 1_000 } as const;
    assert.deepEqual(delays(options, 100, 1), [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]);
    assert.deepEqual(delays(options, 100, 0.5), [50, 100, 200, 400, 500, 500, 500, 500]);
    assert.deepEqual(delays(options, 100, 0), [0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('equal jitter keeps at least half of the capped delay', () => {
    const options = { backoff: 'exponential', jitter: 'equal', maxRetryDelayMs: 1_000 } as const;
    assert.deepEqual(delays(options, 100, 0), [50, 100, 200, 400, 500, 500, 500, 500]);
    assert.deepEqual(delays(options, 100, 1), [100, 200, 400, 800, 1_000, 1_000, 1_000, 1_000]);
  });

  it('stays a whole number within the cap for any draw and any attempt, however late', () => {
    for (const jitter of ['full', 'equal'] as const) {
      const policy = backoffPolicy({ backoff: 'exponential', jitter, maxRetryDelayMs: 7_777 }, 3);
      for (const attempt of [1, 2, 12, 13, 60, 1_100, 100_000]) {
        const capped = Math.min(7_777, 3 * 2 ** Math.min(attempt - 1, 52));
        for (let i = 0; i < 50; i += 1) {
          const delay = retryDelay(policy, attempt);
          assert.ok(Number.isInteger(delay) && delay <= capped && delay >= (jitter === 'equal' ? capped / 2 : 0), `${jitter} ${attempt}: ${delay}`);
        }
      }
    }
    assert.equal(retryDelay(backoffPolicy({ backoff: 'exponential' }, 0), 2_000, () => 1), 0);
  });

  it('caps at 30 s by default, or at retryDelayMs when that is longer', () => {
    assert.equal(backoffPolicy({ backoff: 'exponential' }, 1_000).maxRetryDelayMs, 30_000);
    assert.equal(backoffPolicy({ backoff: 'exponential' }, 45_000).maxRetryDelayMs, 45_000);
  });

  it('refuses bad settings up front, naming the option', () => {
    const messaging = createTestMessaging();
    const fn = async () => {};
    const handler = (options: object) => () => messaging.messageHandler({ topic: 't', groupId: 'g', ...options }, fn);
    assert.throws(handler({ backoff: 'fibonacci' }), invalid('backoff', "Expected `backoff` to be 'linear' or 'exponential', got \"fibonacci\"."));
    assert.throws(handler({ backoff: 'exponential', jitter: 'none' }), invalid('jitter', "Expected `jitter` to be 'full' or 'equal', got \"none\"."));
    assert.throws(
      handler({ backoff: 'exponential', retryDelayMs: 500, maxRetryDelayMs: 100 }),
      invalid('maxRetryDelayMs', 'Expected `maxRetryDelayMs` to be an integer from 500 (`retryDelayMs`) to 2147483647 (about 24.8 days, the longest timer Node.js keeps), got 100.'),
    );
    assert.throws(handler({ backoff: 'exponential', maxRetryDelayMs: 2 ** 31 }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'maxRetryDelayMs');
    assert.throws(handler({ backoff: 'exponential', maxRetryDelayMs: 1.5e3 + 0.5 }), (e: unknown) => e instanceof InvalidArgumentError && e.argument === 'maxRetryDelayMs');
    const linearOnly = "to be left out with linear backoff (retries are `retryDelayMs` apart), or `backoff` to be 'exponential'.";
    assert.throws(handler({ maxRetryDelayMs: 5_000 }), invalid('maxRetryDelayMs', `Expected \`maxRetryDelayMs\` ${linearOnly}`));
    assert.throws(
      () => messaging.createConsumer({ groupId: 'g', topics: 't', handlers: {}, backoff: 'linear', jitter: 'equal' }),
      invalid('jitter', `Expected \`jitter\` ${linearOnly}`),
    );
    return messaging.close();
  });

  it('is what a consumer waits: the scheduled delays it logs grow, and stay within the cap', async () => {
    const logger = memoryLogger();
    const messaging = createTestMessaging({ defaultTopic: 'orders', logger });
    const recorder = recordPublished(messaging);
    const options = { topic: 'orders', groupId: 'g', maxRetries: 6, retryDelayMs: 1, backoff: 'exponential', jitter: 'equal', maxRetryDelayMs: 4 } as const;
    await messaging.messageHandler(options, async () => {
      throw new Error('down');
    }).start();
    await messaging.getProducer().send('orders', {});
    await recorder.waitForMessage('orders.dlq');
    await messaging.close();
    const scheduled = logger.lines.filter((line) => line.message === 'handler failed; retrying').map((line) => line.fields?.retryInMs as number);
    assert.equal(scheduled.length, 6);
    // Equal jitter: between half the capped delay and the capped delay, which doubles from 1 up to 4.
    scheduled.forEach((delay, i) => {
      const capped = Math.min(4, 2 ** i);
      assert.ok(delay >= capped / 2 && delay <= capped, `retry ${i + 1} scheduled after ${delay} ms, expected ${capped / 2} to ${capped}`);
    });
  });
});
