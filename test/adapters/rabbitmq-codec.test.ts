import { strict as assert } from 'node:assert';
import type { ConsumeMessage, MessageProperties } from 'amqplib';
import { decodeDelivery, publishBody, publishProperties } from '../../adapters/rabbitmq/codec.js';
import type { IncomingMessage, OutgoingMessage } from '../../lib/broker.js';

/** A delivery as amqplib hands it over: every property present, unset ones undefined. */
function delivery(content: Buffer, properties: Partial<MessageProperties>): ConsumeMessage {
  const none: MessageProperties = {
    contentType: undefined, contentEncoding: undefined, headers: undefined, deliveryMode: undefined, priority: undefined, correlationId: undefined,
    replyTo: undefined, expiration: undefined, messageId: undefined, timestamp: undefined, type: undefined, userId: undefined, appId: undefined, clusterId: undefined,
  };
  return { content, fields: { deliveryTag: 7, redelivered: false, exchange: 'eventwire', routingKey: 'orders', consumerTag: 'c' }, properties: { ...none, ...properties } };
}

/** The dead letter the core makes of `message`: its record, value and key, its headers plus `added`. */
function deadLetterOf(message: IncomingMessage, added: Record<string, string>): OutgoingMessage {
  return { id: undefined, key: message.key, value: message.value, record: message.record, headers: { ...message.headers, ...added } };
}

describe('RabbitMQ codec: reading a delivery', () => {
  it('hands over the headers as text and, typed, as amqplib decoded them, without the key and the delivery count', () => {
    const raw = { count: 5, flag: false, table: { a: [1, 'b'] }, bytes: Buffer.from([0xff, 0x00]), none: null, 'eventwire-key': 'k1', 'x-delivery-count': 1 };
    const message = decodeDelivery('orders', delivery(Buffer.from('body'), { headers: raw }));
    assert.deepEqual(message.typedHeaders, { count: 5, flag: false, table: { a: [1, 'b'] }, bytes: Buffer.from([0xff, 0x00]), none: null });
    assert.deepEqual(message.headers, { count: '5', flag: 'false', table: '{"a":[1,"b"]}', bytes: '\ufffd\u0000' });
    assert.equal(message.key, 'k1');
  });
});

describe('RabbitMQ codec: writing a delivery again', () => {
  it('keeps typed headers whose text is unchanged and sets the ones the core added or changed', () => {
    const raw = { count: 5, table: { a: [1, 'b'] }, text: 'same', changed: 7, 'eventwire-key': Buffer.from('k1') };
    const message = decodeDelivery('orders', delivery(Buffer.from('body'), { headers: raw, messageId: 'm-1' }));
    assert.equal(message.headers.count, '5', 'the consumer reads a typed header as text');
    const properties = publishProperties(deadLetterOf(message, { changed: '8', 'eventwire-reason': 'malformed' }));
    assert.deepEqual(properties.headers, { ...raw, changed: '8', 'eventwire-reason': 'malformed' });
    assert.equal(properties.persistent, true);
    assert.equal(properties.messageId, 'm-1', 'the delivery keeps its own message id');
  });

  it('leaves out the quorum queue\'s delivery count, the expiration and the user id, and writes the delivery\'s bytes', () => {
    const content = Buffer.from([0xff, 0x00]);
    const message = decodeDelivery('orders', delivery(content, { headers: { 'x-delivery-count': 2, kept: 'yes' }, expiration: '1000', userId: 'someone', deliveryMode: 1, priority: 3 }));
    assert.equal(message.deliveryCount, 3);
    const outgoing = { ...deadLetterOf(message, {}), value: Buffer.from('the decoded view') };
    const properties = publishProperties(outgoing);
    assert.deepEqual(properties, { priority: 3, persistent: true, mandatory: true, headers: { kept: 'yes' } }, 'no expiration, user id or message id the delivery lacked');
    assert.equal(publishBody(outgoing), content);
  });

  it('writes a message without a RabbitMQ record as before', () => {
    const outgoing: OutgoingMessage = { id: 'evt-1', headers: { a: 'b' }, value: Buffer.from('v'), record: { transport: 'kafka' } };
    assert.deepEqual(publishProperties(outgoing), { persistent: true, mandatory: true, contentType: 'application/json', headers: { a: 'b' }, messageId: 'evt-1' });
    assert.equal(publishBody(outgoing), outgoing.value);
  });
});

describe('RabbitMQ codec: the id of a delivery', () => {
  it('is the publisher\'s message_id, with the delivery tag and redelivered flag as transport fields', () => {
    const message = decodeDelivery('orders', delivery(Buffer.from('{}'), { messageId: 'm-1' }));
    assert.equal(message.id, 'm-1');
    assert.equal(message.transportId, 'm-1');
    assert.deepEqual(message.transportFields, { deliveryTag: 7, redelivered: false });
  });

  it('is the content id of topic and body without a message_id, the same for the same bytes', () => {
    const first = decodeDelivery('orders', delivery(Buffer.from('{"a":1}'), {}));
    const again = decodeDelivery('orders', { ...delivery(Buffer.from('{"a":1}'), {}), fields: { deliveryTag: 9, redelivered: true, exchange: 'eventwire', routingKey: 'orders', consumerTag: 'c' } });
    const other = decodeDelivery('orders', delivery(Buffer.from('{"a":2}'), {}));
    assert.match(first.id, /^sha256:[0-9a-f]{32}$/);
    assert.equal(again.id, first.id, 'a redelivery, under another delivery tag, keeps the id');
    assert.notEqual(other.id, first.id);
    assert.equal(first.transportId, undefined, 'no transport id: the publisher set none');
  });
});
