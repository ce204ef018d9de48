import { strict as assert } from 'node:assert';
import type { IncomingMessage } from '../../lib/broker.js';
import { decodeEvent } from '../../lib/envelope/decode-event.js';
import { MalformedMessageError } from '../../lib/errors/index.js';

// The edges of binary content mode that the decode-event suite does not cover: which headers are
// attributes, which are extensions, which are neither, and how a reason spells each one.
const message = (headers: Record<string, string>, value = '{"n":1}', extra: Partial<IncomingMessage> = {}): IncomingMessage => ({
  topic: 'orders',
  key: undefined,
  headers,
  value: Buffer.from(value),
  id: '0:1',
  deliveryCount: 1,
  ...extra,
});
const malformed = (pattern: RegExp) => (error: unknown) => error instanceof MalformedMessageError && pattern.test(error.message);
const base = { ce_specversion: '1.0', ce_id: 'c-1', ce_source: 'svc', ce_type: 'order.created' };

describe('binary-mode CloudEvents', () => {
  it('takes the data content type from the content type over the `ce_datacontenttype` header, else from that header', () => {
    const both = decodeEvent(message({ ...base, ce_datacontenttype: 'text/plain', 'content-type': 'application/json' }));
    assert.equal(both.cloudEvent?.datacontenttype, 'application/json');
    assert.deepEqual(both.data, { n: 1 });
    const header = decodeEvent(message({ ...base, ce_datacontenttype: 'text/plain' }, 'hello'));
    assert.equal(header.cloudEvent?.datacontenttype, 'text/plain');
    assert.equal(header.data, 'hello');
    assert.equal(decodeEvent(message({ ...base, ce_datacontenttype: 'text/plain' }, 'hi', { contentType: 'text/csv' })).cloudEvent?.datacontenttype, 'text/csv');
  });

  it('collects every other prefixed header as an extension, in header order, and no other header', () => {
    const headers = { 'x-first': 'a', ce_zeta: 'z', ...base, ce_alpha: 'a', 'cloudEvents:subject': 's', ce_: 'empty name', ce_data: 'd', ce_data_base64: 'AA==', traceparent: 't' };
    const event = decodeEvent(message(headers));
    assert.deepEqual(Object.entries(event.cloudEvent?.extensions ?? {}), [
      ['zeta', 'z'],
      ['alpha', 'a'],
      ['', 'empty name'],
    ]);
    assert.equal(event.cloudEvent?.subject, undefined);
    assert.deepEqual(event.data, { n: 1 });
  });

  it('keeps empty optional attributes and leaves absent ones out', () => {
    const event = decodeEvent(message({ ...base, ce_subject: '', ce_time: '2026-02-01T13:00:00+01:00' }));
    assert.deepEqual(event.cloudEvent, { specversion: '1.0', mode: 'binary', time: '2026-02-01T13:00:00+01:00', subject: '', extensions: {} });
    assert.equal(event.timestamp, '2026-02-01T12:00:00.000Z');
    assert.deepEqual(Object.keys(decodeEvent(message(base)).cloudEvent ?? {}), ['specversion', 'mode', 'extensions']);
  });

  it('reads frozen headers (the in-process broker) and the same message twice alike', () => {
    const frozen = message(Object.freeze({ ...base, ce_time: '2026-02-01T12:00:00.000Z', ce_tenant: 'acme' }));
    assert.deepEqual(decodeEvent(frozen), decodeEvent(frozen));
    assert.deepEqual(decodeEvent(frozen).cloudEvent?.extensions, { tenant: 'acme' });
  });

  it('names the attribute at fault as this message spells it', () => {
    assert.throws(() => decodeEvent(message({ ...base, ce_id: '' })), malformed(/required `ce_id` header is missing or empty/));
    assert.throws(() => decodeEvent(message({ ...base, ce_specversion: '' })), malformed(/required `ce_specversion` header is missing/));
    assert.throws(() => decodeEvent(message({ ...base, ce_time: 'soon' })), malformed(/`ce_time` header "soon" is not an ISO-8601 date-time/));
    const amqp = { 'cloudEvents_specversion': '1.0', 'cloudEvents_id': 'a', 'cloudEvents_type': 't' };
    assert.throws(() => decodeEvent(message(amqp)), malformed(/required `cloudEvents_source` header/));
    assert.throws(() => decodeEvent(message({ ...base, 'content-type': 'application/json' }, '{')), malformed(/not valid JSON although its content type is application\/json/));
    assert.throws(() => decodeEvent(message(base, '{')), malformed(/content type is JSON \(the default\)/));
  });

  it('reads JSON data for every JSON content type and text for text/*', () => {
    for (const type of ['application/json', 'Application/JSON; charset=utf-8', 'text/json', 'application/vnd.acme+json']) {
      assert.deepEqual(decodeEvent(message({ ...base, 'content-type': type })).data, { n: 1 }, type);
    }
    assert.equal(decodeEvent(message({ ...base, 'content-type': ' Text/Plain' }, '{"n":1}')).data, '{"n":1}');
    assert.ok(Buffer.isBuffer(decodeEvent(message({ ...base, 'content-type': 'application/xml' }, '<n/>')).data));
  });
});
