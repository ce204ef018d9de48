/**
 * Micro-benchmark of reading a consumed message's event, per envelope: eventwire's own (the
 * default path, which must not get slower), the Python original's, and CloudEvents in binary and
 * structured mode. Prints CPU nanoseconds per message, best of 7 rounds (CPU time: on a shared
 * machine a process waiting for a core is not charged for it), of three steps:
 * - `decode`: lib/envelope/decode-event.ts on the core's message, as every adapter hands it over;
 * - `kafka`: a record as kafkajs hands it over (header values as bytes) through the Kafka
 *   adapter's `toIncoming`, then `decodeEvent`: eventwire's whole share of a message on Kafka;
 * - `kafkajs`: kafkajs's own decoding of that record from its bytes, paid before eventwire sees
 *   it, and growing with the headers (binary mode carries six where the default envelope has two).
 *
 *   npx tsx tools/bench/decode-event.ts
 */
import { createRequire } from 'node:module';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { toIncoming } from '../../adapters/kafka/codec.js';
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
 * kafkajs's record codec, which its package does not export: the same modules its consumer
 * decodes every fetched record with.
 */
interface RecordDecoder {
  readVarInt(): number;
}
const require = createRequire(import.meta.url);
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0') as (record: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer; headers: IHeaders }) => { buffer: Buffer };
const Decoder = require('kafkajs/src/protocol/decoder') as new (bytes: Buffer) => RecordDecoder;
const decodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (decoder: RecordDecoder, batch: { firstOffset: string; firstTimestamp: string; magicByte: number }) => KafkaMessage;

/** `message` as a Kafka record's bytes, the way a fetch response carries it (length first). */
function recordBytes(message: IncomingMessage): Buffer {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers)) headers[name] = Buffer.from(value);
  return encodeRecord({ offsetDelta: 0, timestampDelta: 0, key: message.key === undefined ? null : Buffer.from(message.key), value: message.value, headers }).buffer;
}

function kafkajsDecode(bytes: Buffer): KafkaMessage {
  const decoder = new Decoder(bytes);
  decoder.readVarInt(); // the record's length
  return decodeRecord(decoder, { firstOffset: '42', firstTimestamp: '1769947200000', magicByte: 2 });
}

/**
 * CPU nanoseconds per call of `run`: the best of {@link ROUNDS} rounds.
 *
 * @example
 * measure(() => decodeEvent(samples.eventwire)); // 1234.5
 */
export function measure(run: () => unknown): number {
  let best = Number.POSITIVE_INFINITY;
  let sink = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    const start = process.cpuUsage();
    for (let index = 0; index < PER_ROUND; index += 1) sink += run() === undefined ? 0 : 1;
    const used = process.cpuUsage(start);
    best = Math.min(best, ((used.user + used.system) * 1_000) / PER_ROUND);
  }
  if (sink === 0) throw new Error('nothing was decoded');
  return best;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const column = (ns: number): string => ns.toFixed(0).padStart(8);
  console.log(`${'envelope'.padEnd(24)}  decode     kafka   kafkajs   (CPU ns per message)`);
  for (const [name, message] of Object.entries(samples)) {
    const bytes = recordBytes(message);
    const record = kafkajsDecode(bytes);
    const steps = [() => decodeEvent(message), () => decodeEvent(toIncoming(message.topic, 0, record)), () => kafkajsDecode(bytes)];
    console.log(`${name.padEnd(24)}${steps.map((step) => column(measure(step))).join('  ')}`);
  }
}
