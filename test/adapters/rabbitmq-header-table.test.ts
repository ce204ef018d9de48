import { strict as assert } from 'node:assert';
import { HeaderTable, KEY_HEADER } from '../../adapters/rabbitmq/header-table.js';
import { ConfirmLane } from '../../adapters/rabbitmq/publish.js';
import type { OutgoingMessage } from '../../lib/broker.js';
import { FakeChannel } from '../support/fake-amqp.js';

/** What amqplib's encoder reads of a table it is given: the enumerable names of a child object, in order. */
const asEncoded = (table: object): [string, unknown][] => {
  const child = Object.create(table) as Record<string, unknown>;
  const entries: [string, unknown][] = [];
  for (const name in child) entries.push([name, child[name]]);
  return entries;
};

describe('RabbitMQ headers table', () => {
  it('gives amqplib the names and values it would read of the headers and key, in the same order', () => {
    const table = new HeaderTable();
    const cases: [Record<string, string>, string | undefined][] = [
      [{ tenant: 'acme', 'eventwire-id': 'e1' }, undefined],
      [{ tenant: 'acme' }, '42'],
      [{ a: '1', [KEY_HEADER]: 'old', b: '2' }, 'new'],
      [{}, 'k'],
      [{ [KEY_HEADER]: 'given' }, undefined],
    ];
    for (const [headers, key] of cases) {
      const expected = key === undefined ? headers : { ...headers, [KEY_HEADER]: key };
      assert.deepEqual(asEncoded(table.of(headers, key)), asEncoded(expected), JSON.stringify([headers, key]));
    }
  });

  it('reuses one object while the names stay the same, writing the new values into it', () => {
    const table = new HeaderTable();
    const first = table.of({ 'eventwire-name': 'user.created', 'eventwire-id': 'e1' }, 'k1');
    assert.deepEqual({ ...first }, { 'eventwire-name': 'user.created', 'eventwire-id': 'e1', [KEY_HEADER]: 'k1' });
    const second = table.of({ 'eventwire-name': 'user.created', 'eventwire-id': 'e2' }, 'k2');
    assert.equal(second, first);
    assert.deepEqual({ ...second }, { 'eventwire-name': 'user.created', 'eventwire-id': 'e2', [KEY_HEADER]: 'k2' });
    const other = table.of({ 'eventwire-id': 'e3', 'eventwire-name': 'user.created' }, 'k3');
    assert.notEqual(other, first, 'the same names in another order make another table');
    assert.deepEqual(asEncoded(other), [['eventwire-id', 'e3'], ['eventwire-name', 'user.created'], [KEY_HEADER, 'k3']]);
    assert.notEqual(table.of({ 'eventwire-id': 'e4', 'eventwire-name': 'user.created' }, undefined), other, 'without the key the names differ');
  });

  it('never writes into the caller’s headers, and hands empty headers without a key on as they are', () => {
    const table = new HeaderTable();
    const headers = Object.freeze({ tenant: 'acme' });
    const made = table.of(headers, undefined);
    assert.notEqual(made, headers);
    table.of(Object.freeze({ tenant: 'other' }), undefined);
    assert.deepEqual(headers, { tenant: 'acme' });
    const none = Object.freeze({});
    assert.equal(table.of(none, undefined), none);
    assert.equal(table.of({ tenant: 'again' }, undefined), made, 'an empty message leaves the kept table alone');
  });

  it('hands a publish an instrumentation wrapped a headers object of its own each time', () => {
    const channel = new FakeChannel();
    const lane = new ConfirmLane(channel.asChannel, { main: 'ex', deadLetters: 'ex.dlq' });
    const message = (id: string): OutgoingMessage => ({ headers: { 'eventwire-id': id }, value: Buffer.from('{}') });
    void lane.send('orders', [message('a')], undefined);
    void lane.send('orders', [message('b')], undefined);
    const [a, b] = channel.published.map((published) => published.properties.headers);
    assert.equal(a, b, 'amqplib’s own publish gets the reused table');
    const original = channel.publish.bind(channel);
    const wrapper = Object.assign((...args: Parameters<FakeChannel['publish']>) => original(...args), { __wrapped: true, __original: original });
    channel.publish = wrapper;
    void lane.send('orders', [message('c')], undefined);
    void lane.send('orders', [message('d')], undefined);
    const [c, d] = channel.published.slice(2).map((published) => published.properties.headers as Record<string, unknown>);
    assert.notEqual(c, d);
    assert.deepEqual([c?.['eventwire-id'], d?.['eventwire-id']], ['c', 'd']);
    for (const published of channel.published) published.confirmed(null);
  });
});
