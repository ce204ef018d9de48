import { strict as assert } from 'node:assert';
import { createMessaging, PublishTimeoutError, silentLogger, type Broker } from '../../entry/index.js';
import { deadlineWindowMs } from '../../lib/publishing/deadlines.js';
import { deferred, withTimeout } from '../support/wait.js';

/**
 * The producer's shared publish deadlines: publishes starting within a short window share one
 * timer and one AbortSignal, and each still gets its full `publishTimeoutMs`.
 */

type PublishCall = { readonly topic: string; readonly signal: AbortSignal; settle(error?: Error): void };

/** A broker that records every publish and settles it only when the test says so. */
function heldBroker(): Broker & { readonly calls: PublishCall[] } {
  const calls: PublishCall[] = [];
  return {
    name: 'held',
    capabilities: { persistent: false, deliveryCount: false, keyAffinity: false },
    calls,
    publish: (topic, _messages, signal) =>
      new Promise<void>((resolve, reject) => {
        assert.ok(signal !== undefined, 'the core always passes a signal');
        calls.push({ topic, signal, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      }),
    subscribe: () => new Promise(() => {}),
    close: async () => {},
  };
}

const activeTimers = (): number => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('producer deadlines', () => {
  it('gives publishes that start together one shared signal', async () => {
    const broker = heldBroker();
    const messaging = createMessaging({ broker, logger: silentLogger });
    const sends = Array.from({ length: 20 }, (_, index) => messaging.getProducer().send('t', { index }));
    await withTimeout(
      (async () => {
        while (broker.calls.length < 20) await nextTurn();
      })(),
      2_000,
      'the 20 publishes to reach the broker',
    );
    assert.equal(new Set(broker.calls.map((call) => call.signal)).size, 1, 'one deadline for the 20 publishes');
    for (const call of broker.calls) call.settle();
    await Promise.all(sends);
    assert.equal(messaging.stats().published, 20);
  });

  it('times each publish out no earlier than publishTimeoutMs after it started, also late in a shared window', async () => {
    const publishTimeoutMs = 200;
    const broker = heldBroker();
    const messaging = createMessaging({ broker, publishTimeoutMs, logger: silentLogger });
    const outcomes: Promise<{ elapsed: number; error: unknown }>[] = [];
    // Publishes start one per event-loop turn until the first deadline fires, so that they start
    // at every point of the first windows, the last ones just before their deadline closes.
    await withTimeout(
      (async () => {
        do {
          const started = performance.now();
          outcomes.push(
            messaging
              .getProducer()
              .send('t', {})
              .then(
                () => ({ elapsed: performance.now() - started, error: undefined }),
                (error: unknown) => ({ elapsed: performance.now() - started, error }),
              ),
          );
          await nextTurn();
        } while (!broker.calls.some((call) => call.signal.aborted));
      })(),
      5_000,
      'the first shared deadline to fire',
    );
    const results = await withTimeout(Promise.all(outcomes), 5_000, 'every publish to time out');
    assert.ok(results.length > 1);
    for (const { error } of results) assert.ok(error instanceof PublishTimeoutError, `expected a PublishTimeoutError, got ${String(error)}`);
    // Timers run on the event loop's millisecond clock, which can lag performance.now() by up to 1 ms.
    const earliest = Math.min(...results.map((result) => result.elapsed));
    assert.ok(earliest >= publishTimeoutMs - 1, `a publish timed out after ${earliest.toFixed(1)} ms, before publishTimeoutMs (${publishTimeoutMs})`);
    assert.ok(new Set(broker.calls.map((call) => call.signal)).size < results.length, 'publishes share deadlines');
    assert.equal(messaging.stats().publishFailures, results.length);
    assert.equal(deadlineWindowMs(publishTimeoutMs), 20);
  });

  it('does not time out a publish that succeeded, nor report another failure as a timeout', async () => {
    const broker = heldBroker();
    const messaging = createMessaging({ broker, publishTimeoutMs: 50, logger: silentLogger });
    const producer = messaging.getProducer();
    const ok = producer.send('ok', {});
    const refused = producer.send('refused', {});
    const silent = producer.send('silent', {});
    await withTimeout(
      (async () => {
        while (broker.calls.length < 3) await nextTurn();
      })(),
      2_000,
      'the publishes',
    );
    const [first, second] = broker.calls;
    assert.equal(first?.signal, second?.signal, 'the three share one deadline');
    first?.settle();
    second?.settle(new Error('no such exchange'));
    await ok;
    await assert.rejects(refused, (error: unknown) => !(error instanceof PublishTimeoutError) && error instanceof Error && /no such exchange/.test(error.message));
    await assert.rejects(withTimeout(silent, 2_000, 'the timeout'), PublishTimeoutError);
    assert.equal(messaging.stats().published, 1);
    assert.equal(messaging.stats().publishFailures, 2);
  });

  it('keeps the deadline timer alive only while a publish waits on it', async () => {
    const broker = heldBroker();
    const messaging = createMessaging({ broker, logger: silentLogger });
    await nextTurn(); // mocha arms the test's own timeout timer once the test function returned
    const before = activeTimers();
    const sent = messaging.getProducer().send('t', {});
    await withTimeout(
      (async () => {
        while (broker.calls.length < 1) await nextTurn();
      })(),
      2_000,
      'the publish',
    );
    assert.equal(activeTimers(), before + 1, 'the deadline holds the process while the publish waits');
    broker.calls[0]?.settle();
    await sent;
    assert.equal(activeTimers(), before, 'nothing holds the process once the publish settled');
  });

  it('holds a shared deadline while any of its publishes waits, whatever order they settle in, and times out only those', async () => {
    const broker = heldBroker();
    const messaging = createMessaging({ broker, publishTimeoutMs: 100, logger: silentLogger });
    await nextTurn();
    const before = activeTimers();
    const producer = messaging.getProducer();
    const sends = ['a', 'b', 'c', 'd'].map((topic) => producer.send(topic, {}).then(() => 'sent', (error: unknown) => error));
    await withTimeout(
      (async () => {
        while (broker.calls.length < 4) await nextTurn();
      })(),
      2_000,
      'the publishes',
    );
    assert.equal(new Set(broker.calls.map((call) => call.signal)).size, 1, 'one deadline for the four');
    const [a, b, c] = broker.calls;
    // The last to start settles first, then one in the middle: the others still hold the timer.
    broker.calls[3]?.settle();
    b?.settle();
    await nextTurn();
    assert.equal(activeTimers(), before + 1, 'two publishes still wait');
    c?.settle();
    const [first, second, third, fourth] = await withTimeout(Promise.all(sends), 2_000, 'the timeout of the first');
    assert.ok(first instanceof PublishTimeoutError, `expected a PublishTimeoutError, got ${String(first)}`);
    assert.deepEqual([second, third, fourth], ['sent', 'sent', 'sent']);
    assert.equal(a?.signal.aborted, true);
    assert.equal(activeTimers(), before, 'nothing holds the process once all settled');
    assert.deepEqual([messaging.stats().published, messaging.stats().publishFailures], [3, 1]);
  });

  it('lets every concurrent publish listen on the shared signal without a listener-leak warning', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(`${warning.name}: ${warning.message}`);
    process.on('warning', onWarning);
    try {
      const all = deferred();
      let listening = 0;
      // As the RabbitMQ and Kafka adapters do: a listener per publish, removed when it settles.
      const listening50: Broker = {
        ...heldBroker(),
        publish: (_topic, _messages, signal) =>
          new Promise<void>((resolve) => {
            const onAbort = (): void => {};
            signal?.addEventListener('abort', onAbort, { once: true });
            listening += 1;
            if (listening === 50) all.resolve();
            void all.promise.then(() => {
              signal?.removeEventListener('abort', onAbort);
              resolve();
            });
          }),
      };
      const messaging = createMessaging({ broker: listening50, logger: silentLogger });
      await withTimeout(Promise.all(Array.from({ length: 50 }, () => messaging.getProducer().send('t', {}))), 2_000, 'the 50 publishes');
      await new Promise((resolve) => process.nextTick(resolve));
      await nextTurn();
      assert.deepEqual(warnings.filter((warning) => /MaxListeners|memory leak/i.test(warning)), []);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
