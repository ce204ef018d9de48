import type { Broker } from '../../entry/index.js';

/** The brokers fault scenarios run on. */
export type FaultBroker = 'memory' | 'redis' | 'rabbitmq' | 'kafka';

/**
 * The brokers that run as servers of their own: all but the in-process memory broker. Other
 * processes can reach them, and the fault runner has an {@link Instance} of each.
 */
export type RealBroker = Exclude<FaultBroker, 'memory'>;

/** How a restart goes: `downMs` is how long the server stays stopped (default: the instance's own). */
export interface RestartOptions {
  readonly downMs?: number;
}

/** A broker instance of the run (see tools/faults/instances.ts). */
export interface Instance {
  readonly port: number;
  /** How clients reach it: a URL, or Kafka's bootstrap list. */
  readonly url: string;
  /** Stops it and starts it again on the same data; `downMs` keeps it stopped that long in between. */
  restart(options?: RestartOptions): Promise<void>;
  /** Stops it (never the project's Kafka); resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * What one scenario measured on one broker. `lost` counts messages whose `send()` resolved but
 * that were neither handled nor dead-lettered by the end: it must be 0.
 */
export interface ScenarioResult {
  readonly scenario: string;
  readonly broker: FaultBroker;
  /** `send()` calls made (including retries of rejected ones). */
  readonly sent: number;
  /** Distinct messages whose `send()` resolved. */
  readonly acknowledged: number;
  /** Distinct acknowledged messages a handler completed. */
  readonly handled: number;
  readonly deadLettered: number;
  readonly lost: number;
  /** Handler completions beyond the first, per message, summed (allowed: at-least-once). */
  readonly duplicated: number;
  /** Time from the fault's end (or start, when it has no end) to traffic flowing again; null when not applicable. */
  readonly recoveryMs: number | null;
  /** Anything a reader of the report should know (e.g. "send rejected 37 times with PublishError"). */
  readonly notes: readonly string[];
  /** Whether the scenario's own checks passed (0 lost, and its specific expectations). */
  readonly ok: boolean;
}

/**
 * How a scenario reaches a broker: a durable instance the fault runner controls, or a broker
 * already running. `connect` opens a new connection ("a process"), optionally through a TCP
 * proxy port.
 */
export interface FaultTarget {
  readonly broker: FaultBroker;
  /** Address of the broker (what a child process needs to connect). */
  readonly url: string;
  connect(options?: { readonly port?: number; readonly tuning?: Readonly<Record<string, unknown>> }): Broker;
  /** Restarts the durable instance (stop, start, wait until it answers); undefined when it cannot. */
  restart?(options?: RestartOptions): Promise<void>;
  /** Port of the broker, for a proxy in front of it. */
  readonly port: number | undefined;
  /**
   * Names a consumer group that another process of the scenario (a worker, the CLI) subscribes
   * to `topics` with: `connect()` sees only this process's connections. `cleanup()` deletes it.
   */
  track(groupId: string, topics: readonly string[]): void;
  /**
   * Deletes what the scenario created since the previous call: the topics (Kafka topics, Redis
   * streams, RabbitMQ queues) and consumer groups that connections from `connect()` published
   * to, subscribed with or kept, and those `track()` named, each with its `<topic>.dlq`. Call it
   * once the scenario closed every connection and process. Throws when the broker refuses.
   */
  cleanup(): Promise<void>;
}

/** One fault scenario. `quick` shrinks message counts for the CI subset. */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  /** Brokers it applies to. */
  readonly brokers: readonly FaultBroker[];
  run(target: FaultTarget, options: { readonly quick: boolean }): Promise<ScenarioResult>;
}
