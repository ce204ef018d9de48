import { randomUUID } from 'node:crypto';
import type { ConsumeMessage, MessageProperties, Options } from 'amqplib';
import type { Headers, IncomingMessage, OutgoingMessage, TransportRecord, TypedHeaders } from '../../lib/broker.js';
import { contentId } from '../../lib/envelope/content-id.js';
import { KEY_HEADER, type HeaderTable } from './header-table.js';

export { KEY_HEADER } from './header-table.js';

/** Quorum queues count a message's earlier deliveries in this header. */
const DELIVERY_COUNT_HEADER = 'x-delivery-count';

/**
 * The AMQP properties a dead letter keeps from the delivery it writes again. Not kept:
 * `expiration` (a dead letter that expires is lost), `user_id` (RabbitMQ refuses a `user_id` other
 * than the publishing connection's user, and the dead letter could then never be written),
 * `delivery_mode` (a dead letter is always persistent) and the reserved `cluster_id`.
 */
const keptProperties = ['contentType', 'contentEncoding', 'priority', 'correlationId', 'replyTo', 'messageId', 'timestamp', 'type', 'appId'] as const;

/** The kept AMQP properties of a delivery, as amqplib decoded them. */
type RecordProperties = Pick<Options.Publish, (typeof keptProperties)[number]>;

/**
 * A delivery as it arrived: its content bytes, the AMQP properties a dead letter keeps and its
 * headers with their AMQP types (numbers, booleans, tables, arrays, byte arrays) as amqplib
 * decoded them, less the quorum queue's `x-delivery-count`.
 */
interface RabbitMqRecord extends TransportRecord {
  readonly transport: 'rabbitmq';
  readonly content: Buffer;
  readonly properties: RecordProperties;
  readonly headers: Readonly<Record<string, unknown>>;
}

function isRabbitMqRecord(record: TransportRecord | undefined): record is RabbitMqRecord {
  return record?.transport === 'rabbitmq';
}

/**
 * The AMQP properties of an outgoing message: persistent, `mandatory` (RabbitMQ returns a
 * message it can route to no queue, and the adapter reports it), `application/json` unless a
 * `content-type` header says otherwise, the caller's headers with the key in `eventwire-key`, and
 * as `messageId` the message's event id or a fresh UUID.
 * A message that writes a delivery again (a dead letter) takes that delivery's kept properties
 * and typed headers instead, and sets over them only the headers it adds or changes.
 * With `table`, the headers go in its reused table (header-table.ts says when that is allowed).
 *
 * @example
 * channel.publish(exchange, topic, publishBody(message), publishProperties(message), confirmed);
 */
export function publishProperties(message: OutgoingMessage, table?: HeaderTable): Options.Publish {
  const { record } = message;
  if (isRabbitMqRecord(record)) return { ...record.properties, persistent: true, mandatory: true, headers: overRecord(record.headers, withKey(message)) };
  return {
    persistent: true,
    mandatory: true,
    // A CloudEvent names its content type in a `content-type` header; AMQP has a property for it.
    contentType: message.headers['content-type'] ?? 'application/json',
    headers: table === undefined ? withKey(message) : table.of(message.headers, message.key),
    messageId: message.id ?? randomUUID(),
  };
}

/** The message's headers with its key: amqplib only reads them, so the caller's object goes as it is unless the key joins it. */
function withKey(message: OutgoingMessage): Headers {
  return message.key === undefined ? message.headers : { ...message.headers, [KEY_HEADER]: message.key };
}

/**
 * The bytes to publish: those of the delivery a message writes again (a dead letter), else its value.
 *
 * @example
 * channel.publish(exchange, topic, publishBody(message), publishProperties(message), confirmed);
 */
export function publishBody(message: OutgoingMessage): Buffer {
  return isRabbitMqRecord(message.record) ? message.record.content : message.value;
}

/**
 * The record's typed headers with each of `headers` set over them where the record lacks it or
 * holds a value whose text (as the consumer read it) differs: an unchanged header keeps its type.
 */
function overRecord(raw: Readonly<Record<string, unknown>>, headers: Headers): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...raw };
  for (const [name, text] of Object.entries(headers)) {
    if (headerText(raw[name]) !== text) merged[name] = text;
  }
  return merged;
}

/**
 * The port's view of a delivery from `topic`'s queue: the key taken out of the headers (text
 * headers, and typed ones as amqplib decoded them), the publisher's `message_id` as id and transport id (without one, the id is the content id of
 * topic and body, which a redelivery keeps too; the transport id is then left out), its
 * `content_type`, the delivery tag and redelivered flag as transport fields, and the delivery as
 * it arrived, to write it again unchanged.
 *
 * @example
 * await deliver(decodeDelivery('orders', message));
 */
export function decodeDelivery(topic: string, message: ConsumeMessage): IncomingMessage {
  const tables = headerTables(message.properties.headers);
  const transportId = optionalString(message.properties.messageId);
  const contentType = optionalString(message.properties.contentType);
  return {
    topic,
    key: tables.key,
    headers: tables.text,
    typedHeaders: tables.typed,
    value: message.content,
    // The delivery tag numbers deliveries on one channel: a redelivery gets another one.
    id: transportId ?? contentId(topic, message.content),
    transportFields: { deliveryTag: message.fields.deliveryTag, redelivered: message.fields.redelivered },
    deliveryCount: deliveryCountOf(message),
    // Left out rather than undefined when the publisher set none.
    ...(transportId === undefined ? {} : { transportId }),
    ...(contentType === undefined ? {} : { contentType }),
    record: recordOf(message, tables.kept),
  };
}

/** The delivery as a {@link RabbitMqRecord}, for a dead letter to write it again unchanged. */
function recordOf(message: ConsumeMessage, headers: Record<string, unknown>): RabbitMqRecord {
  return { transport: 'rabbitmq', content: message.content, properties: keptOf(message.properties), headers };
}

/** What one pass over a delivery's headers table gives the port. */
interface HeaderTables {
  /** The `eventwire-key` header's text. */
  readonly key: string | undefined;
  /** Every other header as text, a void one left out. */
  readonly text: Record<string, string>;
  /** The same headers with their AMQP types, a void one as `null`. */
  readonly typed: TypedHeaders;
  /**
   * Every header as it arrived, for the record, but `x-delivery-count`: the source queue's
   * bookkeeping, which copied would read as earlier deliveries of the dead letter (its first
   * delivery counted as a redelivery).
   */
  readonly kept: Record<string, unknown>;
}

/**
 * The headers table amqplib decoded, read once: the key (`ctx.key` carries it) and a quorum
 * queue's `x-delivery-count` (`deliveryCount` carries it) are taken out of the text and typed
 * views; the record keeps the key, since a dead letter is written again with it.
 */
function headerTables(raw: Record<string, unknown> | undefined): HeaderTables {
  let key: string | undefined;
  const text: Record<string, string> = {};
  const typed: Record<string, unknown> = {};
  const kept: Record<string, unknown> = {};
  for (const name in raw) {
    if (!Object.hasOwn(raw, name) || name === DELIVERY_COUNT_HEADER) continue;
    const value = raw[name];
    kept[name] = value;
    const asText = headerText(value);
    if (name === KEY_HEADER) {
      key = asText;
      continue;
    }
    typed[name] = value;
    if (asText !== undefined) text[name] = asText;
  }
  // amqplib types the table `any`; its decoder yields only the value types HeaderValue names.
  return { key, text, typed: typed as TypedHeaders, kept };
}

/** The kept properties that the delivery carries; absent ones stay absent. */
function keptOf(properties: MessageProperties): RecordProperties {
  const kept: Record<string, unknown> = {};
  for (const name of keptProperties) {
    const value: unknown = properties[name];
    if (value !== undefined && value !== null) kept[name] = value;
  }
  // amqplib types the properties `any`; its decoder gives each the type Options.Publish names.
  return kept as RecordProperties;
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

/** The text the consumer sees of a header value: none for a void one, UTF-8 for bytes, JSON for other types. */
function headerText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : JSON.stringify(value);
}
