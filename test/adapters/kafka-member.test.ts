import { strict as assert } from 'node:assert';
import { KafkaMember } from '../../adapters/kafka/member.js';
import { validateKafkaOptions } from '../../adapters/kafka/options.js';
import type { DeliveryCallback, IncomingMessage, Subscription } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { FakeConsumer, fakeKafkaConnection } from '../support/fake-kafka.js';
import { deferred, withTimeout } from '../support/wait.js';

const WAIT = 2000;
const turns = async (count = 5): Promise<void> => {
  for (let turn = 0; turn < count; turn += 1) await new Promise((resolve) => setImmediate(resolve));
};

/** Offsets handed to commitOffsets(), call by call, as `partition@offset`. */
const committed = (consumer: FakeConsumer): string[][] => consumer.commits.map((commit) => commit.offsets.map(({ partition, offset }) => `${partition}@${offset}`));

/** Asserts that the consumer was asked `first`, and later `then`. */
function inOrder(consumer: FakeConsumer, first: string, then: string): void {
  const [a, b] = [consumer.calls.indexOf(first), consumer.calls.indexOf(then)];
  assert.ok(a >= 0 && b > a, `expected ${first}, then ${then}; the consumer saw: ${consumer.calls.join(', ')}`);
}

/**
 * The Kafka member's wiring to its offset committer, over a fake kafkajs consumer handed in
 * through the member's connection: messages handled while a commit is outstanding, stop and
 * close waiting for the commit of what was handled, a rebalance sending what is pending at once.
 */
describe('Kafka member', () => {
  const members: KafkaMember[] = [];
  const gates: (() => void)[] = [];

  afterEach(async () => {
    for (const open of gates.splice(0)) open();
    await Promise.all(members.splice(0).map((member) => member.abandon()));
  });

  async function start(deliver: DeliveryCallback): Promise<{ consumer: FakeConsumer; member: KafkaMember; subscription: Subscription; controller: AbortController }> {
    const consumer = new FakeConsumer({ t: [0] });
    const { connection, admin } = fakeKafkaConnection(consumer);
    const settings = validateKafkaOptions({ bootstrapServers: '127.0.0.1:9092', logger: silentLogger });
    const controller = new AbortController();
    const request = { groupId: 'g', topics: ['t'], concurrency: 1, signal: controller.signal };
    const member = new KafkaMember(request, deliver, { connection, admin, settings, logger: silentLogger });
    members.push(member);
    gates.push(() => consumer.release());
    const subscription = await withTimeout(member.start(), WAIT, 'the member to start');
    return { consumer, member, subscription, controller };
  }

  /** Delivers offsets `from`…`to - 1` of partition 0 in turn, as kafkajs does. */
  async function deliverRange(consumer: FakeConsumer, from: number, to: number): Promise<void> {
    for (let offset = from; offset < to; offset += 1) await withTimeout(consumer.deliver('t', 0, String(offset)), WAIT, `message ${offset} to be handled`);
  }

  it('handles the next messages while an offset commit is outstanding, then commits only the latest offset', async () => {
    const handled: string[] = [];
    const { consumer } = await start(async (message) => void handled.push(message.value.toString()));
    consumer.holding = true;
    // With the first commit held, the next 19 are handled only if nobody waits for it.
    await deliverRange(consumer, 0, 20);
    assert.equal(handled.length, 20);
    assert.deepEqual(committed(consumer), [['0@1']], 'one OffsetCommit in flight at a time');
    consumer.release();
    await withTimeout((async () => {
      while (consumer.commits.length < 2 || !consumer.commits.every((commit) => commit.answered)) await turns(1);
    })(), WAIT, 'the coalesced commit');
    assert.deepEqual(committed(consumer), [['0@1'], ['0@20']], 'the latest offset only');
  });

  it('commits what it handled before `closed` settles and before it disconnects, when stopped with a commit outstanding', async () => {
    const { consumer, subscription, controller } = await start(async () => {});
    consumer.holding = true;
    await deliverRange(consumer, 0, 5);
    controller.abort();
    let settled = false;
    void subscription.closed.then(() => (settled = true));
    await turns();
    assert.equal(settled, false, 'closed waits for the outstanding commits');
    assert.ok(!consumer.calls.includes('disconnect'), 'no disconnect before the commits: kafkajs drops them once disconnected');
    consumer.release();
    await withTimeout(subscription.closed, WAIT, 'the subscription to close');
    inOrder(consumer, 'committed t/0@5', 'disconnect');
  });

  it('commits what it handled before abandon() (the broker\'s close()) returns, and not the callback in flight', async () => {
    const blocked = deferred();
    gates.push(() => blocked.resolve());
    const sixth = deferred<IncomingMessage>();
    const { consumer, member } = await start(async (message) => {
      if (message.value.toString() !== '5') return;
      sixth.resolve(message);
      await blocked.promise;
    });
    consumer.holding = true;
    await deliverRange(consumer, 0, 5);
    const inFlight = consumer.deliver('t', 0, '5');
    await withTimeout(sixth.promise, WAIT, 'the sixth message');
    let returned = false;
    const closing = member.abandon().then(() => (returned = true));
    await turns();
    assert.equal(returned, false, 'abandon() waits for the outstanding commits');
    consumer.release();
    await withTimeout(closing, WAIT, 'abandon()');
    await withTimeout(inFlight, WAIT, 'the abandoned message to be let go');
    assert.deepEqual(committed(consumer).at(-1), ['0@5'], 'the five handled messages committed, not the one in flight');
    inOrder(consumer, 'committed t/0@5', 'disconnect');
    blocked.resolve();
    await turns();
    assert.deepEqual(committed(consumer).at(-1), ['0@5'], 'a callback that finishes after close() commits nothing');
  });

  it('sends its pending offsets at once when the group rebalances, behind a commit in flight', async () => {
    const { consumer } = await start(async () => {});
    consumer.holding = true;
    await deliverRange(consumer, 0, 10);
    assert.deepEqual(committed(consumer), [['0@1']], 'one commit in flight, the rest pending behind it');
    consumer.emit(consumer.events.REBALANCING);
    assert.deepEqual(committed(consumer), [['0@1'], ['0@10']], 'the pending offsets went out at the rebalance');
    consumer.emit(consumer.events.REBALANCING);
    assert.equal(consumer.commits.length, 2, 'nothing pending: no empty commit');
  });
});
