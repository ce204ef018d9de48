import { randomUUID } from 'node:crypto';
import type { ConsumeMessage, Options } from 'amqplib';
import type { IncomingMessage, OutgoingMessage } from '../../lib/broker.js';

/** The key travels in this header; RabbitMQ's routing key carries the topic. */
export const KEY_HEADER = 'eventwire-key';

/** Quorum queues count a message's earlier deliveries in this header. */
const DELIVERY_COUNT_HEADER = 'x-delivery-count';

/**
 * The AMQP properties of an outgoing message: persistent, `application/json` unless a
 * `content-type` header says otherwise, the caller's
 * headers with the key in `eventwire-key`, and as `messageId` the message's event id or a fresh UUID.
 *
 * @example
 * channel.publish(exchange, topic, message.value, publishProperties(message), confirmed);
 */
export function publishProperties(message: OutgoingMessage): Options.Publish {
  return {
    persistent: true,
    // A CloudEvent names its content type in a `content-type` header; AMQP has a property for it.
    contentType: message.headers['content-type'] ?? 'application/json',
    // amqplib only reads the headers: the caller's object goes as it is unless the key joins it.
    headers: message.key === undefined ? message.headers : { ...message.headers, [KEY_HEADER]: message.key },
    messageId: message.id ?? randomUUID(),
  };
}

/**
 * The port's view of a delivery from `topic`'s queue: the key taken out of the headers, the
 * delivery tag as id, the publisher's `message_id` as transport id and its `content_type`.
 *
 * @example
 * await deliver(decodeDelivery('orders', message));
 */
export function decodeDelivery(topic: string, message: ConsumeMessage): IncomingMessage {
  const { [KEY_HEADER]: key, ...headers } = stringHeaders(message.properties.headers);
  const transportId = optionalString(message.properties.messageId);
  const contentType = optionalString(message.properties.contentType);
  return {
    topic,
    key,
    headers,
    value: message.content,
    id: String(message.fields.deliveryTag),
    deliveryCount: deliveryCountOf(message),
    // Left out rather than undefined when the publisher set none.
    ...(transportId === undefined ? {} : { transportId }),
    ...(contentType === undefined ? {} : { contentType }),
  };
}

/**
 * Quorum queues count the earlier deliveries of a message in `x-delivery-count` (absent on the
 * first); classic queues only say "delivered before", not how often.
 */
function deliveryCountOf(message: ConsumeMessage): number | undefined {
  const earlier: unknown = message.properties.headers?.[DELIVERY_COUNT_HEADER];
  if (typeof earlier === 'number' && Number.isSafeInteger(earlier) && earlier >= 0) return earlier + 1;
  return message.fields.redelivered ? undefined : 1;
}

/** amqplib types its properties `any`; a property is used only when it is a non-empty string. */
function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Other publishers may send numbers or byte arrays; the port promises strings. */
function stringHeaders(raw: Record<string, unknown> | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw ?? {})) {
    // A quorum queue's `x-delivery-count` is bookkeeping, handed over as `deliveryCount`.
    if (value === undefined || value === null || name === DELIVERY_COUNT_HEADER) continue;
    headers[name] = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : JSON.stringify(value);
  }
  return headers;
}
