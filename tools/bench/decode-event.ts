/**
 * Micro-benchmark of reading a consumed message's event (lib/decode-event.ts), per envelope:
 * eventwire's own (the default path, which must not get slower), the Python original's, and
 * CloudEvents in binary and structured mode. Prints nanoseconds per decode, best of 7 rounds.
 *
 *   npx tsx tools/bench/decode-event.ts
 */
import type { IncomingMessage } from '../../lib/broker.js';
import { decodeEvent } from '../../lib/envelope/decode-event.js';

const ROUNDS = 7;
const PER_ROUND = 200_000;

const data = { orderId: 'o-1042', amount: 1999, currency: 'EUR', items: [{ sku: 'A-1', qty: 2 }] };
const base = { topic: 'orders', key: 'o-1042', id: '0:42', transportId: 'orders/0/42', deliveryCount: undefined };
const body = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

/** The messages measured: what each producer puts on Kafka for the same event. */
export const samples: Readonly<Record<string, IncomingMessage>> = {
  eventwire: {
    ...base,
    headers: { 'eventwire-event': 'order.created', 'eventwire-id': '3f0c6d1e-6c55-4d0e-9f61-1b0e8c1b2a77' },
    value: body({ id: '3f0c6d1e-6c55-4d0e-9f61-1b0e8c1b2a77', name: 'order.created', data, timestamp: '2026-02-01T12:00:00.123Z', source: 'shop' }),
  },
  python: { ...base, headers: {}, value: body({ name: 'order.created', data, timestamp: '2026-02-01T12:00:00.123456', source: 'shop' }) },
  'cloudevents-binary': {
    ...base,
    headers: { ce_specversion: '1.0', ce_id: 'e-1', ce_source: 'shop', ce_type: 'order.created', ce_time: '2026-02-01T12:00:00.123Z', 'content-type': 'application/json' },
    value: body(data),
  },
  'cloudevents-structured': {
    ...base,
    headers: { 'content-type': 'application/cloudevents+json' },
    value: body({ specversion: '1.0', id: 'e-1', source: 'shop', type: 'order.created', time: '2026-02-01T12:00:00.123Z', data }),
  },
};

/**
 * Nanoseconds per call of `decode` on `message`: the best of {@link ROUNDS} rounds.
 *
 * @example
 * measure(samples.eventwire, decodeEvent); // 1234.5
 */
export function measure(message: IncomingMessage, decode: (message: IncomingMessage) => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = process.hrtime.bigint();
    for (let index = 0; index < PER_ROUND; index += 1) sink += decode(message) === undefined ? 0 : 1;
    best = Math.min(best, Number(process.hrtime.bigint() - start) / PER_ROUND);
  }
  if (sink === 0) throw new Error('nothing was decoded');
  return best;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [name, message] of Object.entries(samples)) console.log(`${name.padEnd(24)} ${measure(message, decodeEvent).toFixed(0).padStart(6)} ns/decode`);
}
