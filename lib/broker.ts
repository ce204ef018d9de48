/// <reference types="node" />
// The declarations use Node's Buffer and AbortSignal: with TypeScript 6's default `types: []`, a user's
// program would not load @types/node otherwise.
import type { Logger } from './config/logger.js';

/**
 * The broker port: the only thing the core asks of a transport. Each adapter in `adapters/`
 * implements {@link Broker}; none extends a base class. Optional abilities live in their own
 * small interfaces so that a transport declares only what it can really do.
 */

/** Headers travel as UTF-8 strings on every broker, so that they round-trip unchanged. */
export type Headers = Readonly<Record<string, string>>;

/**
 * A header value with the type its transport gave it. Only RabbitMQ has typed header values (AMQP
 * field tables): numbers, booleans, byte arrays, nested tables, arrays, void as `null`, and
 * amqplib's tagged objects for a timestamp (`{ '!': 'timestamp', value }`) or a decimal.
 */
export type HeaderValue = string | number | boolean | Buffer | null | readonly HeaderValue[] | { readonly [name: string]: HeaderValue };

/**
 * Headers with their transport's types (the handler's `ctx.typedHeaders`).
 *
 * @example
 * const typed: TypedHeaders = { retries: 3, urgent: true, origin: { region: 'eu' } };
 */
export type TypedHeaders = Readonly<Record<string, HeaderValue>>;

/**
 * A delivery as its transport read it (key and header bytes, repeated headers, a null value, the
 * transport's own properties), so that the adapter which read it can write it again unchanged:
 * how dead letters stay byte-exact. Opaque to the core, which only hands it from an
 * {@link IncomingMessage} to the {@link OutgoingMessage} made from it. `transport` names the
 * adapter that wrote it; every other adapter ignores it.
 */
export interface TransportRecord {
  readonly transport: string;
}

/**
 * A transport's own facts about one delivery, by name (RabbitMQ's `deliveryTag`).
 *
 * @example
 * const fields: TransportFields = { deliveryTag: 7, redelivered: false };
 */
export type TransportFields = Readonly<Record<string, string | number | boolean>>;

/**
 * A message on its way to the broker. `value` is the exact byte payload; the core writes JSON.
 *
 * @example
 * const message: OutgoingMessage = { id: 'evt-1', key: '42', headers: {}, value: Buffer.from('{"id":42}') };
 */
export interface OutgoingMessage {
  /**
   * The event's id when the message carries an event (also in the `eventwire-id` header, which
   * consumers read); `undefined` for a plain `send()`. A broker with a message-id field of its
   * own (RabbitMQ's `messageId`) sets it from here, so that no adapter reads the core's headers.
   */
  readonly id?: string | undefined;
  /**
   * The event's name when the message carries an event; `undefined` for a plain `send()`. The
   * core reports it in telemetry whichever envelope carries the event (CloudEvents modes write
   * no `eventwire-event` header); adapters need not read it.
   */
  readonly name?: string | undefined;
  readonly key?: string | undefined;
  readonly headers: Headers;
  readonly value: Buffer;
  /**
   * The delivery this message writes again (a dead letter). The adapter that read it writes its
   * key, value and headers as they arrived, then sets each of `headers` that the record lacks or
   * holds with another text; `key` and `value` are then the record's decoded view.
   */
  readonly record?: TransportRecord | undefined;
}

/**
 * A message delivered to a subscriber.
 *
 * @example
 * const handle = async (m: IncomingMessage) => console.log(m.topic, m.value.toString());
 */
export interface IncomingMessage {
  readonly topic: string;
  readonly key: string | undefined;
  readonly headers: Headers;
  /**
   * The same headers with the types the transport decoded (RabbitMQ's AMQP field values), for
   * the handler's `ctx.typedHeaders`; left out by transports whose headers are text, for which
   * that view is `headers` itself.
   */
  readonly typedHeaders?: TypedHeaders | undefined;
  readonly value: Buffer;
  /**
   * The broker's id for this message, the same on every delivery of it (the handler's
   * `ctx.messageId`): Kafka `partition:offset`, the Redis entry id, the AMQP `message_id` on
   * RabbitMQ (without one, the `contentId` of topic and body), the memory broker's entry id.
   */
  readonly id: string;
  /**
   * A stable id for this message that survives redelivery, for an envelope that carries none (the
   * Python original's): the publisher's AMQP `message_id`, Kafka `topic/partition/offset`, Redis
   * `stream/entry-id`. `undefined` when the transport has none; the core then derives one from
   * the bytes (docs/wire-format.md, "The event id").
   */
  readonly transportId?: string | undefined;
  /**
   * Facts the transport keeps about this one delivery, under the transport's own names (RabbitMQ:
   * `deliveryTag`, `redelivered`); handed to the handler as `ctx.transportFields`. Left out by
   * transports with nothing to add.
   */
  readonly transportFields?: TransportFields | undefined;
  /**
   * The content type the transport carries beside the headers (AMQP `content_type`); brokers
   * without such a property leave it out and a producer sets the `content-type` header instead.
   */
  readonly contentType?: string | undefined;
  /**
   * How many times this message has been delivered to the group, this delivery included.
   * `undefined` when the broker cannot tell (see {@link BrokerCapabilities.deliveryCount}).
   */
  readonly deliveryCount: number | undefined;
  /**
   * Why the transport could not read this message at all (a Redis entry without a `value`
   * field): the core dead-letters it at once with this reason, without calling a handler.
   */
  readonly malformed?: string | undefined;
  /**
   * Parts of the message the transport could not read and left out (a garbled headers field):
   * the message is still handled; the core logs each once per delivery and counts it in
   * `stats().unreadableParts`.
   */
  readonly warnings?: readonly string[] | undefined;
  /** The delivery as the transport read it, for writing it again unchanged: see {@link TransportRecord}. */
  readonly record?: TransportRecord | undefined;
}

/**
 * Called once per delivered message. Resolving acknowledges it (offset commit, `ack`, `XACK`);
 * rejecting leaves it unacknowledged so that the broker delivers it again later.
 */
export type DeliveryCallback = (message: IncomingMessage) => Promise<void>;

/**
 * What a subscription asks for.
 *
 * @example
 * const request: SubscribeRequest = { groupId: 'billing', topics: ['orders'], concurrency: 1, signal };
 */
export interface SubscribeRequest {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Messages this member handles at once. With 1, it sees them in the broker's order (per partition on Kafka). */
  readonly concurrency: number;
  /** Aborting stops taking new messages; in-flight callbacks finish and are acknowledged. */
  readonly signal: AbortSignal;
}

/**
 * A live subscription.
 *
 * @example
 * controller.abort(); await subscription.closed;
 */
export interface Subscription {
  /**
   * Settles after the signal was aborted (or the broker closed), every in-flight callback
   * finished and its acknowledgement was sent. Rejects only if the subscription failed.
   */
  readonly closed: Promise<void>;
}

/**
 * What a transport can guarantee. The conformance suite reads these flags; the README explains
 * each one a broker turns off.
 *
 * @example
 * const caps: BrokerCapabilities = { persistent: true, deliveryCount: true, keyAffinity: false };
 */
export interface BrokerCapabilities {
  /** Acknowledged messages survive a broker restart. */
  readonly persistent: boolean;
  /** {@link IncomingMessage.deliveryCount} counts redeliveries exactly. */
  readonly deliveryCount: boolean;
  /** Messages with the same key always reach the same member of a group (Kafka partitions). */
  readonly keyAffinity: boolean;
}

/**
 * The transport port.
 *
 * Contract, checked by `test/conformance/`:
 * - `publish` resolves only once the broker acknowledged every message of the batch, in order.
 * - `subscribe` resolves once the group exists and is positioned: every message published after
 *   it resolved reaches the group. A new group starts at the end of the topic.
 * - Members of one group share the messages; every group receives every message.
 * - A message whose callback did not resolve is delivered again, to this member or another,
 *   also when this member's process dies (after {@link Broker.close} without draining).
 * - `close` releases connections at once; messages still in flight stay unacknowledged.
 *
 * @example
 * const broker: Broker = await createMemoryBroker();
 * await broker.publish('orders', [{ headers: {}, value: Buffer.from('{}') }]);
 */
export interface Broker {
  /** Short transport name used in logs: `kafka`, `rabbitmq`, `redis`, `memory`. */
  readonly name: string;
  readonly capabilities: BrokerCapabilities;
  publish(topic: string, messages: readonly OutgoingMessage[], signal?: AbortSignal): Promise<void>;
  subscribe(request: SubscribeRequest, deliver: DeliveryCallback): Promise<Subscription>;
  close(): Promise<void>;
}

/**
 * Creates a broker from the resolved configuration; each adapter module exports one. It must not
 * connect: connecting happens on first use, so that configuring never throws a network error.
 */
export type BrokerFactory = (config: BrokerConfig) => Broker;

/**
 * What an adapter receives from `configureMessaging`.
 *
 * @example
 * const config: BrokerConfig = { url: 'redis://127.0.0.1:6379', clientOptions: {}, brokerOptions: {}, logger };
 */
export interface BrokerConfig {
  /** Validated address: a URL, for Kafka a comma-separated `host:port` list, for RabbitMQ maybe a list of node URLs. */
  readonly url: string | readonly string[];
  /** Passed to the client library untouched (TLS, SASL, credentials); never logged. */
  readonly clientOptions: Readonly<Record<string, unknown>>;
  /** The adapter's own settings (claim idle time, partitions, prefetch); it validates them. */
  readonly brokerOptions: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
}

// The optional abilities (keeping topics, health, lag, unroutable reports) live beside the port, one small interface each.
export * from './broker-abilities.js';
