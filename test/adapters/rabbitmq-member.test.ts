import { strict as assert } from 'node:assert';
import { RabbitMqMember, type MemberContext } from '../../adapters/rabbitmq/member.js';
import { ClientSpans } from '../../adapters/client-spans.js';
import type { IncomingMessage } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { FakeModel, type FakeChannel } from '../support/fake-amqp.js';
import { deferred, type Deferred } from '../support/wait.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** Waits (boundedly, on timer turns) until `check` holds: the redelivery delay is a timer, even at 0 ms. */
async function until(check: () => boolean): Promise<void> {
  for (let round = 0; round < 1000 && !check(); round += 1) await new Promise((resolve) => setTimeout(resolve, 1));
  assert.ok(check());
}

/** A member of group `g` on topics `t` (and `u`), whose callbacks stay pending until the test settles them. */
async function attached(concurrency: number, topics = ['t']) {
  const model = new FakeModel();
  const controller = new AbortController();
  const handled: { message: IncomingMessage; answer: Deferred<void> }[] = [];
  let detachments = 0;
  const context: MemberContext = { exchanges: { main: 'ex', deadLetters: 'ex.dlq' }, queueType: 'classic', prefetch: undefined, redeliveryDelayMs: 0, logger: silentLogger, where: {}, clientSpans: new ClientSpans('instrumentation', silentLogger), detached: () => void (detachments += 1) };
  const member = new RabbitMqMember({ groupId: 'g', topics, concurrency, signal: controller.signal }, (message) => {
    const answer = deferred();
    handled.push({ message, answer });
    return answer.promise;
  }, context);
  await member.attach(model.asModel);
  return { model, member, handled, channel: model.channels[0] as FakeChannel, detachments: () => detachments };
}

describe('RabbitMQ member', () => {
  it('declares, binds and consumes the queue of each topic with the concurrency as prefetch', async () => {
    const { channel, member } = await attached(3, ['t', 'u']);
    assert.deepEqual(channel.calls, ['prefetch 3', 'assertQueue g.t', 'bindQueue g.t ex t', 'assertQueue g.u', 'bindQueue g.u ex u', 'consume g.t', 'consume g.u']);
    assert.equal(member.detached, false);
  });

  it('binds a dead-letter topic\'s queue on the dead-letter exchange, declared first', async () => {
    const { channel } = await attached(1, ['t', 't.dlq']);
    assert.deepEqual(channel.calls, ['prefetch 1', 'assertQueue g.t', 'bindQueue g.t ex t', 'assertExchange ex.dlq', 'assertQueue g.t.dlq', 'bindQueue g.t.dlq ex.dlq t.dlq', 'consume g.t', 'consume g.t.dlq']);
  });

  it('runs at most `concurrency` callbacks at once and acks each resolved one', async () => {
    const { channel, handled } = await attached(2);
    for (const tag of [1, 2, 3]) channel.deliver('g.t', tag, `m${tag}`, { 'eventwire-key': 'k', n: 7 });
    assert.equal(handled.length, 2);
    const first = handled[0]?.message;
    assert.ok(first !== undefined);
    const { topic, key, headers, value, id, transportFields, deliveryCount, record } = first;
    assert.deepEqual(
      { topic, key, headers, value: value.toString(), transportFields, deliveryCount },
      { topic: 't', key: 'k', headers: { n: '7' }, value: 'm1', transportFields: { deliveryTag: 1, redelivered: false }, deliveryCount: 1 },
    );
    assert.match(id, /^sha256:/, 'no message_id: the id is derived from topic and body, not the delivery tag');
    assert.equal(record?.transport, 'rabbitmq', 'the delivery as read, for a byte-exact dead letter');
    handled[0]?.answer.resolve();
    await turn();
    assert.equal(handled.length, 3, 'the waiting delivery starts once a callback finished');
    // Two deliveries still outstanding: the ack goes at the end of the turn, batched with what
    // finishes with it (ack-batcher.ts).
    await turn();
    assert.deepEqual(channel.calls.slice(-1), ['ack 1']);
    handled[1]?.answer.resolve();
    handled[2]?.answer.resolve();
    await until(() => channel.calls.includes('ack 3 multiple'));
    assert.deepEqual(channel.calls.slice(-1), ['ack 3 multiple'], 'finished together: one frame for both');
  });

  it('nacks a rejected message with requeue after the redelivery delay', async () => {
    const { channel, handled } = await attached(1);
    channel.deliver('g.t', 5, 'x', {}, true);
    assert.equal(handled[0]?.message.deliveryCount, undefined, 'a redelivered message has no known count');
    handled[0]?.answer.reject(new Error('handler failed'));
    await until(() => channel.calls.includes('nack 5 requeue'));
    assert.deepEqual(channel.calls.slice(-1), ['nack 5 requeue']);
  });

  it("reads a quorum queue's x-delivery-count as the delivery count, out of the headers", async () => {
    const { channel, handled } = await attached(2);
    channel.deliver('g.t', 1, 'first', { 'x-delivery-count': 0, n: 1 });
    channel.deliver('g.t', 2, 'again', { 'x-delivery-count': 2 }, true);
    assert.deepEqual(handled.map(({ message }) => [message.deliveryCount, message.headers]), [[1, { n: '1' }], [3, {}]]);
  });

  it('stop() cancels, requeues what waits, lets the callback in flight finish, then closes', async () => {
    const { channel, member, handled } = await attached(1);
    channel.deliver('g.t', 1, 'a');
    channel.deliver('g.t', 2, 'b');
    let stopped = false;
    const stopping = member.stop().then(() => (stopped = true));
    await turn();
    assert.deepEqual(channel.calls.slice(-2), ['cancel tag:g.t', 'nack 2 requeue']);
    assert.equal(stopped, false, 'the callback in flight is still running');
    handled[0]?.answer.resolve();
    await stopping;
    await member.closed;
    assert.deepEqual(channel.calls.slice(-2), ['ack 1', 'close']);
    assert.equal(handled.length, 1, 'nothing new started after stop()');
  });

  it('is detached when its channel closes under it, and attaches again on a new connection', async () => {
    const { channel, member, detachments } = await attached(1);
    channel.deliver('g.t', 1, 'a');
    await channel.close();
    assert.equal(member.detached, true);
    assert.equal(detachments(), 1);
    const next = new FakeModel();
    await member.attach(next.asModel);
    assert.equal(member.detached, false);
    assert.deepEqual(next.channels[0]?.calls.slice(-1), ['consume g.t']);
  });

  it('closes the channel of a consumer the broker cancelled, so that it is attached again', async () => {
    const { channel, member, detachments } = await attached(1);
    channel.consumers.get('g.t')?.(null);
    await turn();
    assert.equal(channel.closed, true);
    assert.equal(member.detached, true);
    assert.equal(detachments(), 1);
  });
});
