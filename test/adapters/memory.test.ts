import { strict as assert } from 'node:assert';
import { createMemoryBroker, createMemoryServer, memoryBrokerFactory } from '../../adapters/memory/index.js';
import { registerBundledBrokers } from '../../adapters/registry.js';
import type { Broker, IncomingMessage } from '../../lib/broker.js';
import { InvalidArgumentError } from '../../lib/errors/index.js';
import { silentLogger } from '../../lib/config/logger.js';
import { createMessaging } from '../../lib/messaging.js';
import { deferred, withTimeout } from '../support/wait.js';

registerBundledBrokers();

const message = (text: string) => ({ headers: {}, value: Buffer.from(text) });

/** Subscribes group `g` to `topic`; the callback rejects the first delivery of each message and records when each came. */
async function rejectingOnce(broker: Broker, topic: string) {
  const controller = new AbortController();
  const deliveries: { readonly at: number; readonly message: IncomingMessage }[] = [];
  const second = deferred<number>();
  await broker.subscribe({ groupId: 'g', topics: [topic], concurrency: 1, signal: controller.signal }, async (incoming) => {
    deliveries.push({ at: performance.now(), message: incoming });
    if (incoming.deliveryCount === 1) throw new Error('rejected on purpose');
    second.resolve(performance.now());
  });
  return { deliveries, redelivered: second.promise, stop: () => controller.abort() };
}

function invalid(argument: string, pattern: RegExp) {
  return (error: unknown) => error instanceof InvalidArgumentError && error.code === 'EVENTWIRE_INVALID_ARGUMENT' && error.argument === argument && pattern.test(error.message);
}

describe('memory broker', () => {
  it('keeps each connection’s redeliveryDelayMs its own on a shared server', async () => {
    const server = createMemoryServer();
    const slow = createMemoryBroker({ server, redeliveryDelayMs: 300 });
    const { deliveries, redelivered, stop } = await rejectingOnce(slow, 'orders');
    // A second connection with another delay, made after the first: it must not change the first's.
    const fast = createMemoryBroker({ server, redeliveryDelayMs: 0 });
    const fastRun = await rejectingOnce(fast, 'payments');
    await fast.publish('payments', [message('p')]);
    await slow.publish('orders', [message('o')]);
    await withTimeout(fastRun.redelivered, 10_000, 'the fast connection’s redelivery');
    const at = await withTimeout(redelivered, 10_000, 'the slow connection’s redelivery');
    assert.ok(at - (deliveries[0]?.at ?? Infinity) >= 295, `redelivered ${at - (deliveries[0]?.at ?? 0)} ms after the rejection`);
    stop();
    fastRun.stop();
    await Promise.all([slow.close(), fast.close()]);
  });

  it('refuses unknown options, in createMemoryBroker and in brokerOptions, with a typed error naming them', () => {
    assert.throws(() => createMemoryBroker({ redeliveryDelay: 5 } as never), invalid('redeliveryDelay', /^Unknown option `redeliveryDelay` in createMemoryBroker options\. Did you mean `redeliveryDelayMs`\? Known options: server, redeliveryDelayMs\.$/));
    const config = { url: 'memory://', clientOptions: {}, logger: silentLogger };
    assert.throws(() => memoryBrokerFactory({ ...config, brokerOptions: { redeliveryDelay: 5 } }), invalid('redeliveryDelay', /in the memory brokerOptions/));
    assert.throws(() => createMessaging({ broker: 'memory', brokerOptions: { redeliveryDelay: 5 } }), invalid('redeliveryDelay', /Known options: server, redeliveryDelayMs/));
    assert.equal(memoryBrokerFactory({ ...config, brokerOptions: { redeliveryDelayMs: 5 } }).name, 'memory');
  });

  it('checks redeliveryDelayMs and server', () => {
    for (const value of [-1, 1.5, '200', null]) {
      assert.throws(() => createMemoryBroker({ redeliveryDelayMs: value as never }), invalid('redeliveryDelayMs', /^Expected `redeliveryDelayMs` to be a non-negative integer, got /));
    }
    assert.throws(() => createMemoryBroker({ server: { depth: () => 0 } }), invalid('server', /createMemoryServer\(\)/));
  });
});
