import { strict as assert } from 'node:assert';
import {
  InvalidArgumentError,
  MalformedMessageError,
  UnrecoverableError,
  deadLetterHeaders as dl,
  type Middleware,
  type Messaging,
} from '../../entry/index.js';
import { createTestMessaging, recordPublished, type PublishRecorder } from '../../entry/testing.js';
import { memoryLogger } from '../support/memory-logger.js';
import { deferred, withTimeout } from '../support/wait.js';

const invalid = (argument: string, pattern: RegExp) => (error: unknown) =>
  error instanceof InvalidArgumentError && error.argument === argument && pattern.test(error.message);

/** A middleware that writes what it saw, on the way in and on the way out, into `trace`. */
function tracing(name: string, trace: string[]): Middleware {
  return (next) => async (message, ctx) => {
    trace.push(`${name} in ${ctx.attempt} ${Buffer.isBuffer(message.value) ? 'raw' : 'decoded'}`);
    try {
      await next(message, ctx);
      trace.push(`${name} out ${ctx.attempt}`);
    } catch (error) {
      trace.push(`${name} failed ${ctx.attempt}${error instanceof MalformedMessageError ? ' malformed' : ''}`);
      throw error;
    }
  };
}

describe('the handling chain', () => {
  let messaging: Messaging;
  let recorder: PublishRecorder;
  beforeEach(() => {
    messaging = createTestMessaging({ defaultTopic: 'orders' });
    recorder = recordPublished(messaging);
  });
  afterEach(() => messaging.close());

  describe('middleware', () => {
    it('runs outermost first, inside retry: each attempt goes through every middleware', async () => {
      const trace: string[] = [];
      const done = deferred();
      const consumer = messaging.messageHandler(
        { topic: 'orders', groupId: 'g', maxRetries: 2, retryDelayMs: 0, middleware: [tracing('outer', trace), tracing('inner', trace)] },
        async (_order, ctx) => {
          trace.push(`handler ${ctx.attempt}`);
          if (ctx.attempt === 1) throw new Error('flaky');
          done.resolve();
        },
      );
      await consumer.start();
      await messaging.getProducer().send('orders', { id: 1 });
      await withTimeout(done.promise, 2_000, 'the second attempt');
      await consumer.stop();
      assert.deepEqual(trace, [
        'outer in 1 raw', 'inner in 1 raw', 'handler 1', 'inner failed 1', 'outer failed 1',
        'outer in 2 raw', 'inner in 2 raw', 'handler 2', 'inner out 2', 'outer out 2',
      ]);
    });

    it('sits outside decoding: it sees a malformed message and its error, which is dead-lettered', async () => {
      const trace: string[] = [];
      const consumer = messaging.createConsumer({ groupId: 'g', topics: 'orders', handlers: {}, middleware: [tracing('mw', trace)] });
      await consumer.start();
      await messaging.getProducer().send('orders', 'not an envelope');
      const letter = await recorder.waitForMessage('orders.dlq');
      await consumer.stop();
      assert.equal(letter.headers[dl.reason], 'malformed');
      assert.deepEqual(trace, ['mw in 1 raw', 'mw failed 1 malformed']);
    });

    it('acknowledges when a middleware resolves without calling next', async () => {
      let called = false;
      const skipped = deferred();
      const skipAll: Middleware = () => async () => skipped.resolve();
      const consumer = messaging.messageHandler({ topic: 'orders', groupId: 'g', middleware: [skipAll] }, async () => {
        called = true;
      });
      await consumer.start();
      await messaging.getProducer().send('orders', { id: 1 });
      await withTimeout(skipped.promise, 2_000, 'the middleware');
      await consumer.stop();
      assert.equal(called, false);
      assert.equal(recorder.messages.filter((m) => m.topic === 'orders.dlq').length, 0);
    });

    it('refuses what is not a (next) => handler list, naming the entry', () => {
      const base = { topic: 'orders', groupId: 'g' };
      const fn = async () => {};
      assert.throws(() => messaging.messageHandler({ ...base, middleware: (() => fn) as never }, fn), invalid('middleware', /Expected `middleware` to be an array of functions \(next\) =>/));
      assert.throws(() => messaging.messageHandler({ ...base, middleware: [(n) => n, 'x' as never] }, fn), invalid('middleware[1]', /got "x"\./));
      const koaStyle = async (_message: unknown, _ctx: unknown, next: () => Promise<void>) => next();
      assert.throws(
        () => messaging.createConsumer({ groupId: 'g', topics: 'orders', handlers: {}, middleware: [koaStyle as never] }),
        invalid('middleware[0]', /got a function of 3 parameters\./),
      );
    });

    it('fails start() when a middleware does not return a handler', async () => {
      const broken = (() => undefined) as unknown as Middleware;
      const consumer = messaging.messageHandler({ topic: 'orders', groupId: 'g', middleware: [broken] }, async () => {});
      await assert.rejects(consumer.start(), invalid('middleware[0]', /to return a handler \(message, ctx\) => Promise<void>, got undefined\./));
    });
  });

  describe('UnrecoverableError', () => {
    it('dead-letters after one attempt, no retry, with its reason, message and code', async () => {
      let calls = 0;
      const consumer = messaging.messageHandler({ topic: 'orders', groupId: 'billing', maxRetries: 5, retryDelayMs: 0 }, async () => {
        calls += 1;
        throw new UnrecoverableError('order 7 does not exist');
      });
      await consumer.start();
      await messaging.getProducer().send('orders', { id: 7 });
      const letter = await recorder.waitForMessage('orders.dlq');
      await consumer.stop();
      assert.equal(calls, 1);
      assert.equal(letter.headers[dl.reason], 'unrecoverable');
      assert.equal(letter.headers[dl.attempts], '1');
      assert.equal(letter.headers[dl.error], 'order 7 does not exist');
      assert.equal(letter.headers[dl.errorCode], 'EVENTWIRE_UNRECOVERABLE');
      assert.equal(letter.headers[dl.group], 'billing');
      assert.deepEqual(letter.payload, { id: 7 });
      assert.equal(messaging.stats().retried, 0);
      assert.equal(messaging.stats().deadLettered, 1);
    });

    it('from a middleware on a later attempt: dead-lettered then, with the attempts counted and a subclass code', async () => {
      class CardDeclined extends UnrecoverableError {
        override readonly code = 'CARD_DECLINED';
      }
      const declineOnRetry: Middleware = (next) => async (message, ctx) => {
        if (ctx.attempt === 2) throw new CardDeclined('card declined');
        await next(message, ctx);
      };
      const consumer = messaging.messageHandler({ topic: 'orders', groupId: 'g', maxRetries: 5, retryDelayMs: 0, middleware: [declineOnRetry] }, async () => {
        throw new Error('gateway timeout');
      });
      await consumer.start();
      await messaging.getProducer().send('orders', { id: 8 });
      const letter = await recorder.waitForMessage('orders.dlq');
      await consumer.stop();
      assert.equal(letter.headers[dl.reason], 'unrecoverable');
      assert.equal(letter.headers[dl.attempts], '2');
      assert.equal(letter.headers[dl.errorCode], 'CARD_DECLINED');
      assert.equal(messaging.stats().retried, 1);
    });
  });

  describe('shouldRetry', () => {
    it('is asked with the error and the failed attempt; false dead-letters at once', async () => {
      const asked: [string, number][] = [];
      const consumer = messaging.messageHandler(
        {
          topic: 'orders', groupId: 'g', maxRetries: 5, retryDelayMs: 0,
          shouldRetry: (error, attempt) => {
            asked.push([(error as Error).message, attempt]);
            return attempt < 2;
          },
        },
        async (_order, ctx) => {
          throw new Error(`failure ${ctx.attempt}`);
        },
      );
      await consumer.start();
      await messaging.getProducer().send('orders', { id: 9 });
      const letter = await recorder.waitForMessage('orders.dlq');
      await consumer.stop();
      assert.deepEqual(asked, [['failure 1', 1], ['failure 2', 2]]);
      assert.equal(letter.headers[dl.reason], 'handler-error');
      assert.equal(letter.headers[dl.attempts], '2');
      assert.equal(letter.headers[dl.error], 'failure 2');
    });

    it('counts a throwing shouldRetry as false and logs it', async () => {
      const logger = memoryLogger();
      const own = createTestMessaging({ defaultTopic: 'orders', logger });
      const ownRecorder = recordPublished(own);
      const consumer = own.messageHandler(
        { topic: 'orders', groupId: 'g', maxRetries: 5, retryDelayMs: 0, shouldRetry: () => { throw new Error('bug in predicate'); } },
        async () => { throw new Error('handler failed'); },
      );
      await consumer.start();
      await own.getProducer().send('orders', {});
      const letter = await ownRecorder.waitForMessage('orders.dlq');
      await own.close();
      assert.equal(letter.headers[dl.attempts], '1');
      assert.equal(letter.headers[dl.error], 'handler failed');
      assert.ok(logger.lines.some((line) => line.level === 'error' && /shouldRetry threw/.test(line.message)));
    });

    it('is not asked about permanent errors, nor when no retry is left', async () => {
      let asked = 0;
      const shouldRetry = () => ((asked += 1), true);
      const permanent = messaging.messageHandler({ topic: 'orders', groupId: 'g', maxRetries: 3, shouldRetry }, async () => {
        throw new UnrecoverableError('no');
      });
      const lastChance = messaging.messageHandler({ topic: 'refunds', groupId: 'g', maxRetries: 0, shouldRetry }, async () => {
        throw new Error('once');
      });
      await Promise.all([permanent.start(), lastChance.start()]);
      await messaging.getProducer().send('orders', {});
      await messaging.getProducer().send('refunds', {});
      await Promise.all([recorder.waitForMessage('orders.dlq'), recorder.waitForMessage('refunds.dlq')]);
      assert.equal(asked, 0);
      assert.throws(
        () => messaging.messageHandler({ topic: 'o', groupId: 'g', shouldRetry: true as never }, async () => {}),
        invalid('shouldRetry', /Expected `shouldRetry` to be a function, got true\./),
      );
    });
  });
});
