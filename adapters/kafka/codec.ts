import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Headers, IncomingMessage, OutgoingMessage, TransportRecord } from '../../lib/broker.js';

/** A Kafka record as it arrived: key and value bytes (null for none, a tombstone), raw headers. */
interface KafkaRecord extends TransportRecord {
  readonly transport: 'kafka';
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: IHeaders;
}

function isKafkaRecord(record: TransportRecord | undefined): record is KafkaRecord {
  return record?.transport === 'kafka';
}

/**
 * A Kafka record as the core's message: the key as UTF-8, string headers, the value's bytes,
 * `partition:offset` as its id and `topic/partition/offset` as its transport id, and the record
 * as it arrived, to write it again unchanged. Kafka keeps no per-message delivery count.
 *
 * @example
 * deliver(toIncoming(topic, partition, message));
 */
export function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const key = message.key === null ? undefined : message.key.toString('utf8');
  const record: KafkaRecord = { transport: 'kafka', key: message.key, value: message.value, headers: message.headers ?? {} };
  return {
    topic,
    key,
    headers: decodeHeaders(message.headers),
    value: message.value ?? Buffer.alloc(0),
    id: `${partition}:${message.offset}`,
    transportId: `${topic}/${partition}/${message.offset}`,
    deliveryCount: undefined,
    record,
  };
}

/**
 * The core's message as a kafkajs record: key, value and headers unchanged. A message that
 * writes a delivery again (a dead letter) takes that delivery's key and value bytes and raw
 * headers, and sets over them only the headers it adds or changes.
 *
 * @example
 * const records = messages.map(toRecord);
 */
export function toRecord(message: OutgoingMessage): Message {
  const { record } = message;
  if (!isKafkaRecord(record)) return { key: message.key ?? null, value: message.value, headers: message.headers };
  const headers: IHeaders = { ...record.headers };
  for (const [name, text] of Object.entries(message.headers)) {
    const raw = record.headers[name];
    if (raw === undefined || headerText(raw) !== text) headers[name] = text;
  }
  return { key: record.key, value: record.value, headers };
}

/** The text the core sees of a header: a repeated header's last value. */
function headerText(raw: NonNullable<IHeaders[string]>): string | undefined {
  const value = Array.isArray(raw) ? raw[raw.length - 1] : raw;
  return value?.toString();
}

function decodeHeaders(headers: IHeaders | undefined): Headers {
  const decoded: Record<string, string> = {};
  // kafkajs builds `headers` as a plain object: `for…in` walks its own names without the array
  // of pairs `Object.entries` would allocate per record.
  for (const name in headers) {
    const raw = headers[name];
    if (raw === undefined) continue;
    const value = headerText(raw); // a repeated header: the last one wins
    if (value !== undefined) decoded[name] = value;
  }
  return decoded;
}
