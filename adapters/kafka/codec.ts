import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { Headers, IncomingMessage, OutgoingMessage } from '../../lib/broker.js';

/**
 * A Kafka record as the core's message: the key as UTF-8, string headers, the value's bytes,
 * `partition:offset` as its id and `topic/partition/offset` as its transport id. Kafka keeps no
 * per-message delivery count.
 *
 * @example
 * deliver(toIncoming(topic, partition, message));
 */
export function toIncoming(topic: string, partition: number, message: KafkaMessage): IncomingMessage {
  const key = message.key === null ? undefined : message.key.toString('utf8');
  return {
    topic,
    key,
    headers: decodeHeaders(message.headers),
    value: message.value ?? Buffer.alloc(0),
    id: `${partition}:${message.offset}`,
    transportId: `${topic}/${partition}/${message.offset}`,
    deliveryCount: undefined,
  };
}

/**
 * The core's message as a kafkajs record: key, value and headers unchanged.
 *
 * @example
 * const records = messages.map(toRecord);
 */
export function toRecord(message: OutgoingMessage): Message {
  return { key: message.key ?? null, value: message.value, headers: message.headers };
}

function decodeHeaders(headers: IHeaders | undefined): Headers {
  const decoded: Record<string, string> = {};
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const value = Array.isArray(raw) ? raw[raw.length - 1] : raw; // a repeated header: the last one wins
    if (value !== undefined) decoded[name] = value.toString();
  }
  return decoded;
}
