import type { Broker } from './broker.js';

/**
 * Optional ability: keep every message later published to `topic` until somebody reads it,
 * although no group subscribed. The core asks for it for each dead-letter topic, so that dead
 * letters are never dropped. RabbitMQ declares a durable queue named exactly `topic`, bound to
 * it; the memory broker keeps them for a group named `topic`. Kafka and Redis keep every
 * message in the log anyway and need not implement it.
 *
 * @example
 * if (keepsTopics(broker)) await broker.keepTopic('orders.dlq');
 */
export interface TopicKeeper {
  keepTopic(topic: string): Promise<void>;
}

/**
 * Whether a broker implements {@link TopicKeeper}.
 *
 * @example
 * keepsTopics(createMemoryBroker()); // true
 */
export function keepsTopics(broker: Broker): broker is Broker & TopicKeeper {
  return typeof (broker as Partial<TopicKeeper>).keepTopic === 'function';
}

/**
 * What a broker's connection is doing: `idle` before first use, `connected`, `reconnecting`
 * after it dropped (the adapter is trying again), `failed` when it gave up, `closed` after close().
 */
export type ConnectionState = 'idle' | 'connected' | 'reconnecting' | 'failed' | 'closed';

/**
 * A broker's answer to "are you connected?", with the last connection error and when it came.
 *
 * @example
 * const health: BrokerHealth = { state: 'reconnecting', lastError: { message: 'connect ECONNREFUSED', at: '2026-01-01T00:00:00.000Z' } };
 */
export interface BrokerHealth {
  readonly state: ConnectionState;
  readonly lastError?: { readonly message: string; readonly at: string } | undefined;
}

/**
 * Optional ability: report the connection's state cheaply (no network round trip), for
 * `messaging.health()`. A broker without it is reported as `unknown`.
 *
 * @example
 * if (reportsHealth(broker)) broker.health().state; // 'connected'
 */
export interface HealthReporter {
  health(): BrokerHealth;
}

/**
 * Whether a broker implements {@link HealthReporter}.
 *
 * @example
 * reportsHealth(createMemoryBroker()); // true
 */
export function reportsHealth(broker: Broker): broker is Broker & HealthReporter {
  return typeof (broker as Partial<HealthReporter>).health === 'function';
}

/**
 * How far one consumer group is behind on one topic (on Kafka, on one partition of it), as the
 * broker counts it at the moment it was asked; docs/observability.md, "Consumer lag".
 *
 * @example
 * const lag: TopicLag = { topic: 'orders', groupId: 'billing', partition: 0, messages: 12 };
 */
export interface TopicLag {
  readonly topic: string;
  readonly groupId: string;
  /** Kafka's partition; absent on brokers without partitions. */
  readonly partition?: number | undefined;
  /**
   * Messages the group has still to handle. Kafka: the log end offset minus the group's committed
   * offset, so messages in flight count until their offset is committed. Redis: entries not yet
   * delivered to the group (`XINFO GROUPS` lag). RabbitMQ: the group queue's ready messages.
   * Memory: the group's ready messages.
   */
  readonly messages: number;
  /**
   * Messages delivered to the group and not yet acknowledged (in flight, or waiting for a
   * redelivery), where the broker tells it cheaply: Redis (the pending entries list) and memory.
   */
  readonly pending?: number | undefined;
}

/**
 * Optional ability: tell a group's lag on its topics (a round trip to the broker). A topic or
 * partition whose lag the broker cannot tell (the group does not exist there yet, Kafka without
 * a committed offset, Redis without a lag figure) is left out rather than guessed.
 *
 * @example
 * if (reportsLag(broker)) await broker.lag('billing', ['orders']); // [{ topic: 'orders', groupId: 'billing', messages: 3 }]
 */
export interface LagReporter {
  lag(groupId: string, topics: readonly string[]): Promise<readonly TopicLag[]>;
}

/**
 * Whether a broker implements {@link LagReporter}.
 *
 * @example
 * reportsLag(createMemoryBroker()); // true
 */
export function reportsLag(broker: Broker): broker is Broker & LagReporter {
  return typeof (broker as Partial<LagReporter>).lag === 'function';
}

/**
 * Optional ability: tell the core about each message the broker confirmed but could route to no
 * queue (RabbitMQ returns such a `mandatory` message: no group has subscribed to its topic yet).
 * `publish` still resolves for it, as on the brokers that keep it in a log no group reads; the
 * core logs a warning once per topic and counts it in `stats().unroutable`.
 *
 * @example
 * if (reportsUnroutable(broker)) broker.onUnroutable((topic) => console.warn(`nobody reads ${topic}`));
 */
export interface UnroutableReporter {
  /** Calls `listener` with the topic of every message returned from now on. */
  onUnroutable(listener: (topic: string) => void): void;
}

/**
 * Whether a broker implements {@link UnroutableReporter}.
 *
 * @example
 * reportsUnroutable(createMemoryBroker()); // false
 */
export function reportsUnroutable(broker: Broker): broker is Broker & UnroutableReporter {
  return typeof (broker as Partial<UnroutableReporter>).onUnroutable === 'function';
}

/**
 * Optional ability: the broker's client library has an OpenTelemetry instrumentation of its own
 * (kafkajs, amqplib) whose producer and consumer spans would duplicate eventwire's. The core calls
 * `ownClientSpans()` once, before first use, when eventwire's tracing is on; the adapter then
 * keeps that instrumentation out of its own publishes and consumers, where it finds it active.
 *
 * @example
 * if (ownsClientSpans(broker)) broker.ownClientSpans();
 */
export interface ClientSpanOwner {
  ownClientSpans(): void;
}

/**
 * Whether a broker implements {@link ClientSpanOwner}.
 *
 * @example
 * ownsClientSpans(createMemoryBroker()); // false
 */
export function ownsClientSpans(broker: Broker): broker is Broker & ClientSpanOwner {
  return typeof (broker as Partial<ClientSpanOwner>).ownClientSpans === 'function';
}
