import { strict as assert } from 'node:assert';
import { deferred, withTimeout } from '../support/wait.js';
import type { Harness } from './harness.js';

/** Graceful stop, stop during retries, and a member dying mid-message. */
export function stopTests(h: Harness): void {
  const wait = <T>(promise: Promise<T>, what: string, ms = h.target.deliveryTimeoutMs) => withTimeout(promise, ms, what);

  /** A fresh member of `groupId` that reports the first message it gets. */
  async function nextInGroup(topic: string, groupId: string) {
    const { messaging } = h.process();
    const got = deferred<unknown>();
    await messaging.messageHandler({ topic, groupId }, async (message) => got.resolve(message)).start();
    return { messaging, first: got.promise };
  }

  it('stop() lets the in-flight handler finish, acknowledges it and takes nothing new', async () => {
    const topic = h.topic('drain');
    const { messaging } = h.process();
    const started = deferred();
    const release = deferred();
    const log: string[] = [];
    const consumer = messaging.messageHandler({ topic, groupId: 'g' }, async (message) => {
      log.push(`start ${JSON.stringify(message)}`);
      started.resolve();
      await release.promise;
      log.push('finish');
    });
    await consumer.start();
    await messaging.getProducer().send(topic, { n: 1 });
    await wait(started.promise, 'the handler to start');
    const stopping = consumer.stop().then(() => log.push('stopped'));
    await messaging.getProducer().send(topic, { n: 2 });
    release.resolve();
    await wait(stopping, 'stop() to resolve');
    assert.deepEqual(log, ['start {"n":1}', 'finish', 'stopped']);
    // The next member of the group starts after message 1: it was acknowledged, and 2 was left.
    const next = await nextInGroup(topic, 'g');
    assert.deepEqual(await wait(next.first, 'message 2 to reach the next member', h.target.crashRedeliveryTimeoutMs), { n: 2 });
  });

  it('stopping during retry delays leaves the message for redelivery, not the dead-letter topic', async () => {
    const topic = h.topic('abandon');
    const { messaging } = h.process();
    const failed = deferred();
    const consumer = messaging.messageHandler({ topic, groupId: 'g', maxRetries: 5, retryDelayMs: 60_000 }, async () => {
      failed.resolve();
      throw new Error('down');
    });
    await consumer.start();
    await messaging.getProducer().send(topic, { n: 1 });
    await wait(failed.promise, 'the first failure');
    await wait(consumer.stop(), 'stop() to cut the retry delay short');
    assert.equal(messaging.stats().deadLettered, 0);
    const next = await nextInGroup(topic, 'g');
    assert.deepEqual(await wait(next.first, 'the abandoned message', h.target.crashRedeliveryTimeoutMs), { n: 1 });
  });

  it('redelivers the message of a member that died mid-handler to another member', async () => {
    const topic = h.topic('crash');
    const holder = deferred<{ name: string; close(): Promise<void> }>();
    // The first delivery after the holder's, whichever member it reaches: the test checks which.
    const redelivered = deferred<{ name: string; message: unknown; deliveryCount: number | undefined }>();
    const stuck = deferred();
    let taken = false;
    let countsDeliveries = false;
    for (const name of ['a', 'b']) {
      const { messaging, broker } = h.process();
      countsDeliveries = broker.capabilities.deliveryCount;
      await messaging
        .messageHandler({ topic, groupId: 'g' }, async (message, ctx) => {
          if (!taken) {
            taken = true;
            holder.resolve({ name, close: () => broker.close() });
            await stuck.promise;
          } else {
            redelivered.resolve({ name, message, deliveryCount: ctx.deliveryCount });
          }
        })
        .start();
    }
    try {
      const { messaging: producer } = h.process();
      await producer.getProducer().send(topic, { job: 1 }, { key: 'one-key' });
      const victim = await wait(holder.promise, 'a member to take the message');
      await victim.close();
      const survivor = await wait(redelivered.promise, 'the redelivery', h.target.crashRedeliveryTimeoutMs);
      assert.notEqual(survivor.name, victim.name, 'the message went again to the member that died');
      assert.deepEqual(survivor.message, { job: 1 });
      if (countsDeliveries) assert.ok((survivor.deliveryCount ?? 0) >= 2, 'deliveryCount counts the redelivery');
    } finally {
      stuck.resolve();
    }
  });
}
