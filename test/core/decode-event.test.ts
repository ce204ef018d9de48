import { strict as assert } from 'node:assert';
import type { IncomingMessage } from '../../lib/broker.js';
import { decodeEvent, transportIdOf } from '../../lib/envelope/decode-event.js';
import { MalformedMessageError } from '../../lib/errors/index.js';
import { normaliseTimestamp } from '../../lib/envelope/event-time.js';
import { contentId } from '../../lib/envelope/content-id.js';

const message = (value: string | Buffer, extra: Partial<IncomingMessage> = {}): IncomingMessage => ({
  topic: 'orders',
  key: undefined,
  headers: {},
  value: Buffer.isBuffer(value) ? value : Buffer.from(value),
  id: '0:1',
  deliveryCount: 1,
  ...extra,
});
const malformed = (pattern: RegExp) => (error: unknown) => error instanceof MalformedMessageError && pattern.test(error.message);
const own = { id: 'e-1', name: 'user.created', data: { id: 1 }, timestamp: '2026-02-01T12:00:00.000Z', source: 'users' };
const ceHeaders = { ce_specversion: '1.0', ce_id: 'ce-1', ce_source: '/users', ce_type: 'user.created' };

describe('normaliseTimestamp', () => {
  it('writes every ISO-8601 date-time as UTC with milliseconds', () => {
    assert.equal(normaliseTimestamp('2026-02-01T12:00:00.000Z'), '2026-02-01T12:00:00.000Z');
    assert.equal(normaliseTimestamp('2026-02-01T12:00:00.123456'), '2026-02-01T12:00:00.123Z');
    assert.equal(normaliseTimestamp('2026-02-01T12:00:00'), '2026-02-01T12:00:00.000Z');
    assert.equal(normaliseTimestamp('2026-02-01 12:00'), '2026-02-01T12:00:00.000Z');
    assert.equal(normaliseTimestamp('2026-02-01T13:30:00.5+01:30'), '2026-02-01T12:00:00.500Z');
    assert.equal(normaliseTimestamp('2026-02-01T07:00:00-0500'), '2026-02-01T12:00:00.000Z');
    assert.equal(normaliseTimestamp('2026-02-01T12:00:00.123456+00:00'), '2026-02-01T12:00:00.123Z');
    assert.equal(normaliseTimestamp('2028-02-29T00:00:00.000Z'), '2028-02-29T00:00:00.000Z');
  });

  it('refuses what is not a date-time or names a day that does not exist', () => {
    for (const text of ['', 'yesterday', '2026-02-01', '1769947200', '2026-02-30T00:00:00.000Z', '2026-13-01T00:00:00Z', '2026-02-01T24:00:00Z', '2026-02-01T12:00:00+25:00']) {
      assert.equal(normaliseTimestamp(text), undefined, text);
    }
  });
});

describe('decodeEvent', () => {
  it("passes eventwire's own envelope through unchanged", () => {
    const value = JSON.stringify(own);
    assert.deepEqual(decodeEvent(message(value)), own);
  });

  it("gives the Python original's four fields the transport id and a UTC timestamp", () => {
    const python = { name: 'user.created', data: { id: 1 }, timestamp: '2026-02-01T12:00:00.123456', source: 'users' };
    const event = decodeEvent(message(JSON.stringify(python), { transportId: 'orders/2/17' }));
    assert.deepEqual(event, { ...python, id: 'orders/2/17', timestamp: '2026-02-01T12:00:00.123Z' });
  });

  it('derives a stable id from the bytes when the transport has none', () => {
    const value = JSON.stringify({ name: 'a', data: null, timestamp: '2026-02-01T12:00:00', source: 's' });
    const first = decodeEvent(message(value));
    assert.match(first.id, /^sha256:[0-9a-f]{32}$/);
    assert.equal(decodeEvent(message(value, { id: 'other-delivery' })).id, first.id);
    assert.notEqual(transportIdOf(message(value, { topic: 'other' })), first.id);
  });

  it('derives the id docs/wire-format.md gives: sha256 of the topic, a zero byte and the body, its first 32 hex digits', () => {
    // Computed apart from eventwire: hashlib.sha256(b'orders\x00{}').hexdigest()[:32]
    assert.equal(contentId('orders', Buffer.from('{}')), 'sha256:f244f9e10513386cb7df5027e6209e82');
  });

  it('dead-letters an unparseable timestamp with a reason that quotes it', () => {
    assert.throws(() => decodeEvent(message(JSON.stringify({ ...own, timestamp: 'yesterday' }))), malformed(/`timestamp` "yesterday" is not an ISO-8601 date-time/));
  });

  it('reads a binary-mode CloudEvent from ce_ headers, with subject, dataschema and extensions', () => {
    const headers = { ...ceHeaders, ce_time: '2026-02-01T12:00:00.123456Z', ce_subject: 'u-1', ce_dataschema: 'https://schemas/u', ce_partitionkey: 'k', 'content-type': 'application/json', tenant: 'acme' };
    const event = decodeEvent(message('{"id":1}', { headers }));
    assert.deepEqual(event, {
      id: 'ce-1',
      name: 'user.created',
      source: '/users',
      timestamp: '2026-02-01T12:00:00.123Z',
      data: { id: 1 },
      cloudEvent: { specversion: '1.0', mode: 'binary', time: '2026-02-01T12:00:00.123456Z', subject: 'u-1', dataschema: 'https://schemas/u', datacontenttype: 'application/json', extensions: { partitionkey: 'k' } },
    });
  });

  it('reads the AMQP spellings and takes the content type from the AMQP property', () => {
    for (const prefix of ['cloudEvents:', 'cloudEvents_']) {
      const headers = { [`${prefix}specversion`]: '1.0', [`${prefix}id`]: 'a-1', [`${prefix}source`]: 'svc', [`${prefix}type`]: 'order.paid', [`${prefix}traceparent`]: 't' };
      const event = decodeEvent(message('hello', { headers, contentType: 'text/plain' }));
      assert.equal(event.name, 'order.paid');
      assert.equal(event.data, 'hello');
      assert.deepEqual(event.cloudEvent?.extensions, { traceparent: 't' });
    }
  });

  it('keeps non-JSON binary data as bytes and an empty body as no data', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x01]);
    assert.deepEqual(decodeEvent(message(bytes, { headers: { ...ceHeaders, 'content-type': 'application/octet-stream' } })).data, bytes);
    assert.equal(decodeEvent(message('', { headers: ceHeaders })).data, undefined);
  });

  it('names the missing attribute as the binding spells it', () => {
    const noType = Object.fromEntries(Object.entries(ceHeaders).filter(([name]) => name !== 'ce_type'));
    assert.throws(() => decodeEvent(message('{}', { headers: noType })), malformed(/required `ce_type` header is missing/));
    assert.throws(() => decodeEvent(message('{}', { headers: { 'cloudEvents:specversion': '1.0' } })), malformed(/`cloudEvents:id` header/));
    assert.throws(() => decodeEvent(message('{}', { headers: { ...ceHeaders, ce_specversion: '0.3' } })), malformed(/`ce_specversion` header is "0.3"/));
    assert.throws(() => decodeEvent(message('{', { headers: ceHeaders })), malformed(/data is not valid JSON/));
  });

  it('reads a structured CloudEvent, with data or data_base64, with or without its content type', () => {
    const document = { specversion: '1.0', id: 's-1', source: 'svc', type: 'user.created', time: '2026-02-01T13:00:00+01:00', data: { id: 1 } };
    const typed = decodeEvent(message(JSON.stringify(document), { contentType: 'application/cloudevents+json; charset=utf-8' }));
    assert.deepEqual(typed, { id: 's-1', name: 'user.created', source: 'svc', timestamp: '2026-02-01T12:00:00.000Z', data: { id: 1 }, cloudEvent: { specversion: '1.0', mode: 'structured', time: document.time, extensions: {} } });
    assert.deepEqual(decodeEvent(message(JSON.stringify(document))), typed);
    const noData = Object.fromEntries(Object.entries(document).filter(([name]) => name !== 'data'));
    const base64 = decodeEvent(message(JSON.stringify({ ...noData, data_base64: '/wE=' }), { headers: { 'content-type': 'application/cloudevents+json' } }));
    assert.deepEqual(base64.data, Buffer.from([0xff, 0x01]));
  });

  it('stamps a CloudEvent without time with the receipt time', () => {
    const before = Date.now();
    const event = decodeEvent(message(JSON.stringify({ specversion: '1.0', id: 'x', source: 's', type: 't' })));
    assert.ok(Date.parse(event.timestamp) >= before);
    assert.equal(event.cloudEvent?.time, undefined);
  });

  it('refuses structured CloudEvents that lack an attribute, and batches', () => {
    const structured = { contentType: 'application/cloudevents+json' };
    assert.throws(() => decodeEvent(message(JSON.stringify({ specversion: '1.0', id: 'x', type: 't' }), structured)), malformed(/required `source` attribute is missing/));
    assert.throws(() => decodeEvent(message('[]', structured)), malformed(/must be one JSON object/));
    assert.throws(() => decodeEvent(message('[]', { contentType: 'application/cloudevents-batch+json' })), malformed(/batches .* are not supported/));
  });

  it('dead-letters JSON that is no envelope and bytes that are not JSON', () => {
    assert.throws(() => decodeEvent(message('{"order_id":1}')), malformed(/`name` is missing/));
    assert.throws(() => decodeEvent(message(Buffer.from([0xff, 0xfe]))), malformed(/not valid JSON/));
  });
});
