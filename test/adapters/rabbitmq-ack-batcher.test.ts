import { strict as assert } from 'node:assert';
import type { ConsumeMessage } from 'amqplib';
import { AckBatcher } from '../../adapters/rabbitmq/ack-batcher.js';
import { FakeChannel } from '../support/fake-amqp.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A delivery with `tag`, as amqplib hands it to a consumer. */
const delivery = (tag: number): ConsumeMessage => ({ content: Buffer.from('{}'), fields: { deliveryTag: tag }, properties: { headers: {} } }) as unknown as ConsumeMessage;

function batcher() {
  const channel = new FakeChannel();
  const errors: unknown[] = [];
  const acks = new AckBatcher(channel.asChannel, (error) => errors.push(error));
  const tracked = (...tags: number[]) => tags.map((tag) => {
    const message = delivery(tag);
    acks.track(message);
    return message;
  });
  return { channel, acks, errors, tracked };
}

describe('RabbitMQ ack batcher', () => {
  it('acks a lone delivery at once, on its own', () => {
    const { channel, acks, tracked } = batcher();
    const [one] = tracked(1);
    acks.ack(one as ConsumeMessage);
    assert.deepEqual(channel.calls, ['ack 1']);
  });

  it('acks a run of finished deliveries with one multiple ack, at once when nothing else is outstanding', async () => {
    const { channel, acks, tracked } = batcher();
    const [one, two, three] = tracked(1, 2, 3);
    acks.ack(two as ConsumeMessage);
    acks.ack(one as ConsumeMessage);
    assert.deepEqual(channel.calls, [], 'three is still running: the batch waits for the turn to end');
    acks.ack(three as ConsumeMessage);
    assert.deepEqual(channel.calls, ['ack 3 multiple'], 'the last one finished: one frame for all three');
    await turn();
    assert.deepEqual(channel.calls, ['ack 3 multiple'], 'nothing acked twice by the scheduled flush');
  });

  it('never covers a delivery still running: those finished behind it are acked one by one at the next turn', async () => {
    const { channel, acks, tracked } = batcher();
    const [one, two, three, four] = tracked(1, 2, 3, 4);
    acks.ack(one as ConsumeMessage);
    acks.ack(three as ConsumeMessage);
    acks.ack(four as ConsumeMessage);
    await turn();
    assert.deepEqual(channel.calls, ['ack 1', 'ack 3', 'ack 4']);
    acks.ack(two as ConsumeMessage);
    assert.deepEqual(channel.calls.slice(3), ['ack 2'], 'the last outstanding one, alone');
  });

  it('lets a requeued delivery go: it holds back nothing after its nack', async () => {
    const { channel, acks, tracked } = batcher();
    const [one, two, three] = tracked(1, 2, 3);
    acks.ack(two as ConsumeMessage);
    acks.ack(three as ConsumeMessage);
    await turn();
    assert.deepEqual(channel.calls, ['ack 2', 'ack 3'], 'one still holds the run back');
    const [four, five] = tracked(4, 5);
    acks.ack(four as ConsumeMessage);
    acks.forget(one as ConsumeMessage);
    acks.ack(five as ConsumeMessage);
    assert.deepEqual(channel.calls.slice(2), ['ack 5 multiple']);
  });

  it('sends what is pending on flush(), and reports an ack the closed channel refused', () => {
    const { channel, acks, errors, tracked } = batcher();
    const [one, two] = tracked(1, 2);
    acks.ack(one as ConsumeMessage);
    acks.flush();
    assert.deepEqual(channel.calls, ['ack 1']);
    channel.closed = true;
    acks.ack(two as ConsumeMessage);
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /Channel closed/);
  });

  it('ignores an ack for a delivery it does not hold, or a second ack', () => {
    const { channel, acks, tracked } = batcher();
    const [one] = tracked(1, 2);
    acks.ack(delivery(9));
    acks.ack(one as ConsumeMessage);
    acks.ack(one as ConsumeMessage);
    acks.flush();
    assert.deepEqual(channel.calls, ['ack 1']);
  });
});
