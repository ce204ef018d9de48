import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { awaitingRedelivery } from '../awaiting-redelivery.js';
import { targetAt } from '../targets.js';
import type { FaultTarget } from '../types.js';
import { brokers, requireBroker } from '../../../test/support/require-broker.js';
import { deferred, withTimeout } from '../../../test/support/wait.js';

const WAIT = 20_000;
/** Quick takeover of a dead member's message: Redis's claim idle time, Kafka's session. */
const tuning = { redis: { claimIdleMs: 200 }, rabbitmq: {}, kafka: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 1_000 } } as const;

// The fault scenarios' "nothing left to deliver again" check (sigterm-drain, slow-handler): it
// must see a message a dead member left unacknowledged, and stop seeing it once it was handled.
for (const name of ['redis', 'rabbitmq', 'kafka'] as const) {
  describe(`awaitingRedelivery on ${name}`, function () {
    this.timeout(60_000);
    let target: FaultTarget | undefined;
    const releases: (() => void)[] = [];

    before(async function () {
      await requireBroker(this, name);
      target = targetAt(name, brokers[name].url);
    });

    after(async () => {
      for (const release of releases) release();
      await target?.cleanup();
    });

    it('counts a message delivered and never acknowledged, and no longer once another member handled it', async () => {
      const at = target!;
      const suffix = randomBytes(4).toString('hex');
      const topic = `ew-awaiting-${suffix}`;
      const groupId = `ew-awaiting-${suffix}`;
      const request = (signal: AbortSignal) => ({ groupId, topics: [topic], concurrency: 1, signal });

      const dying = at.connect({ tuning: tuning[name] });
      const taken = deferred();
      const stuck = deferred();
      releases.push(() => stuck.resolve());
      await dying.subscribe(request(new AbortController().signal), async () => {
        taken.resolve();
        await stuck.promise;
      });
      await dying.publish(topic, [{ headers: {}, value: Buffer.from('once') }]);
      await withTimeout(taken.promise, WAIT, 'the first member to take the message');
      await dying.close(); // without draining: the message stays unacknowledged
      assert.equal(await awaitingRedelivery(name, at.url, groupId, topic), 1, 'left unacknowledged by the member that died');

      const survivor = at.connect({ tuning: tuning[name] });
      const handled = deferred<string>();
      const controller = new AbortController();
      const subscription = await survivor.subscribe(request(controller.signal), async (message) => handled.resolve(message.value.toString()));
      assert.equal(await withTimeout(handled.promise, WAIT, 'the message to reach the other member'), 'once');
      controller.abort();
      await withTimeout(subscription.closed, WAIT, 'the other member to stop and acknowledge');
      await survivor.close();
      assert.equal(await awaitingRedelivery(name, at.url, groupId, topic), 0, 'handled and acknowledged');
    });
  });
}
