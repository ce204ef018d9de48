import { reportsHealth, type Broker, type ConnectionState } from './broker.js';
import type { Consumer } from './consuming/consumer.js';
import type { MessagingStats } from './stats.js';

/**
 * One consumer in {@link MessagingHealth}.
 *
 * @example
 * const entry: ConsumerHealth = { groupId: 'billing', topics: ['orders'], running: true, inFlight: 2 };
 */
export interface ConsumerHealth {
  readonly groupId: string;
  readonly topics: readonly string[];
  readonly running: boolean;
  /** Messages whose handling started and has not ended. */
  readonly inFlight: number;
}

/**
 * What `messaging.health()` answers: the broker connection, each registered consumer, the event
 * buffer, and the two verdicts a probe needs.
 *
 * @example
 * const { ready, live, broker } = messaging.health();
 */
export interface MessagingHealth {
  /**
   * Takes work: the connection is up (or not needed yet) and the instance is not closing. A
   * worker draining on shutdown is live but not ready.
   */
  readonly ready: boolean;
  /** Not stuck for good: false only when the adapter gave up on its connection. */
  readonly live: boolean;
  /** True from the moment `close()` was called: draining consumers and the buffer. */
  readonly closing: boolean;
  readonly broker: {
    readonly name: string;
    /** `unknown` for a custom broker that does not report its state. */
    readonly state: ConnectionState | 'unknown';
    readonly lastError?: { readonly message: string; readonly at: string } | undefined;
  };
  readonly consumers: readonly ConsumerHealth[];
  /** Fire-and-forget events waiting to be published. */
  readonly eventsBuffered: number;
}

/** What {@link healthOf} reads from an instance. */
export interface HealthSources {
  readonly broker: Broker;
  readonly consumers: readonly Consumer[];
  readonly stats: Readonly<MessagingStats>;
  readonly closing: boolean;
}

/**
 * Builds the health report from an instance's parts; reads state only, never touches the network.
 *
 * @example
 * const report = healthOf({ broker, consumers, stats, closing: false });
 */
export function healthOf(sources: HealthSources): MessagingHealth {
  const reported = reportsHealth(sources.broker) ? sources.broker.health() : undefined;
  const state = reported?.state ?? 'unknown';
  const up = state === 'connected' || state === 'idle' || state === 'unknown';
  return {
    ready: up && !sources.closing,
    live: state !== 'failed',
    closing: sources.closing,
    broker: { name: sources.broker.name, state, lastError: reported?.lastError },
    consumers: sources.consumers.map((consumer) => ({
      groupId: consumer.groupId,
      topics: consumer.topics,
      running: consumer.running,
      inFlight: consumer.inFlight,
    })),
    eventsBuffered: sources.stats.eventsBuffered,
  };
}
