import { strict as assert } from 'node:assert';
import { ConfirmLane } from '../../adapters/rabbitmq/publish.js';
import type { OutgoingMessage } from '../../lib/broker.js';
import { BrokerRefusedError } from '../../lib/errors/index.js';
import { FakeChannel } from '../support/fake-amqp.js';

const message = (text: string, extra: Partial<OutgoingMessage> = {}): OutgoingMessage => ({ headers: {}, value: Buffer.from(text), ...extra });
const exchanges = { main: 'ex', deadLetters: 'ex.dlq' };
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('RabbitMQ confirm lane', () => {
  it('writes every message with its properties (messageId from the message id) and resolves once all are confirmed', async () => {
    const channel = new FakeChannel();
    let done = false;
    const sending = new ConfirmLane(channel.asChannel, exchanges).send('orders', [message('a', { id: 'evt-1', key: 'k', headers: { tenant: 'acme' } }), message('b', { headers: { 'eventwire-id': 'not-the-id' } })], undefined);
    void sending.then(() => (done = true));
    assert.deepEqual(channel.published.map((p) => p.content.toString()), ['a', 'b']);
    const [first, second] = channel.published;
    assert.deepEqual(first?.properties, { persistent: true, mandatory: true, contentType: 'application/json', headers: { tenant: 'acme', 'eventwire-key': 'k' }, messageId: 'evt-1' });
    // Without an id the message gets a fresh UUID: the adapter never reads the core's headers.
    assert.match(String(second?.properties.messageId), /^[0-9a-f-]{36}$/);
    first?.confirmed(null);
    await turn();
    assert.equal(done, false, 'one confirm is still missing');
    second?.confirmed(null);
    await sending;
  });

  it('tells its owner of a nack, so that the channel can be replaced, but not of a refusal already reported', async () => {
    const channel = new FakeChannel();
    let nacks = 0;
    const lane = new ConfirmLane(channel.asChannel, exchanges, () => (nacks += 1));
    const nacked = lane.send('orders', [message('a')], undefined);
    channel.published[0]?.confirmed(true);
    await assert.rejects(nacked, BrokerRefusedError);
    assert.equal(nacks, 1);
    lane.refused(new Error('Channel closed by server: 406 (PRECONDITION-FAILED)'));
    const refused = lane.send('orders', [message('b')], undefined);
    channel.published[1]?.confirmed(new Error('channel closed'));
    await assert.rejects(refused);
    assert.equal(nacks, 1);
  });

  it("rejects a nack with the server's reason for closing the channel when there is one", async () => {
    const channel = new FakeChannel();
    const lane = new ConfirmLane(channel.asChannel, exchanges);
    const bare = lane.send('orders', [message('a')], undefined);
    channel.published[0]?.confirmed(true);
    await assert.rejects(bare, (error: unknown) => error instanceof BrokerRefusedError && /nacked a message to "orders"/.test(error.message));
    const refusal = new Error('Channel closed by server: 406 (PRECONDITION-FAILED)');
    lane.refused(refusal);
    const refused = lane.send('orders', [message('b')], undefined);
    channel.published[1]?.confirmed(new Error('channel closed'));
    await assert.rejects(refused, (error: unknown) => error === refusal);
  });

  it('rejects with what amqplib throws on a channel that closed already', async () => {
    const channel = new FakeChannel();
    await channel.close();
    await assert.rejects(new ConfirmLane(channel.asChannel, exchanges).send('orders', [message('a')], undefined), /Channel closed/);
  });

  it('waits for drain before writing the rest of a batch, and rejects typed if the channel closes meanwhile', async () => {
    const channel = new FakeChannel();
    channel.writable = (index) => index !== 1;
    const lane = new ConfirmLane(channel.asChannel, exchanges);
    const sending = lane.send('orders', ['a', 'b', 'c', 'd'].map((text) => message(text)), undefined);
    assert.equal(channel.published.length, 2, 'the writer waits after the message that filled the buffer');
    channel.emit('drain');
    await turn();
    assert.equal(channel.published.length, 4);
    for (const published of channel.published) published.confirmed(null);
    await sending;

    channel.writable = () => false;
    const cut = lane.send('orders', [message('e'), message('f')], undefined);
    channel.emit('close');
    await assert.rejects(cut, (error: unknown) => error instanceof BrokerRefusedError && /closed while publishing/.test(error.message));
    assert.equal(channel.listenerCount('drain'), 0, 'no listener is left behind');
  });

  it('stops writing when the signal aborts and rejects with its reason', async () => {
    const channel = new FakeChannel();
    channel.writable = () => false;
    const controller = new AbortController();
    const sending = new ConfirmLane(channel.asChannel, exchanges).send('orders', [message('a'), message('b')], controller.signal);
    controller.abort(new Error('caller gave up'));
    await assert.rejects(sending, /caller gave up/);
    channel.emit('drain');
    await turn();
    assert.equal(channel.published.length, 1, 'nothing is written after the abort');
  });

  it('declares the dead-letter exchange once before the first dead letter, and routes `<topic>.dlq` through it', async () => {
    const channel = new FakeChannel();
    const lane = new ConfirmLane(channel.asChannel, exchanges);
    const first = lane.send('orders', [message('a')], undefined);
    assert.deepEqual(channel.calls, [], 'an ordinary topic needs no declaration');
    channel.published[0]?.confirmed(null);
    await first;
    const dead = lane.send('orders.dlq', [message('b')], undefined);
    const again = lane.send('orders.dlq', [message('c')], undefined);
    await turn();
    assert.deepEqual(channel.calls, ['assertExchange ex.dlq'], 'declared once for both sends');
    assert.deepEqual(channel.published.map((p) => `${p.exchange} ${p.topic}`), ['ex orders', 'ex.dlq orders.dlq', 'ex.dlq orders.dlq']);
    for (const entry of channel.published.slice(1)) entry.confirmed(null);
    await Promise.all([dead, again]);
  });
});
