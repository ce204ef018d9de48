/** Shared shapes of the benchmark: what a case is, what it measures, how scenarios compare. */

export const brokers = ['redis', 'rabbitmq', 'kafka', 'memory'] as const;
export type BrokerId = (typeof brokers)[number];

/** Who does the work: eventwire, the bare client library, or a peer framework. */
export type Impl = 'eventwire' | 'raw' | 'nest' | 'moleculer';

/** What one child process measures. */
export type Kind = 'send-awaited' | 'send-concurrent' | 'send-batch' | 'emit' | 'consume' | 'http';

/**
 * How an HTTP case's route publishes `user.created`: eventwire's `eventMiddleware`, the raw client
 * called by hand once the response finished (tools/bench/raw/by-hand.ts), or not at all.
 */
export type RouteEventing = 'middleware' | 'by-hand' | 'none';

export interface CaseSpec {
  readonly impl: Impl;
  readonly kind: Kind;
  readonly broker: BrokerId;
  /** Handlers at once (consume). */
  readonly concurrency?: number;
  /** HTTP only. */
  readonly framework?: 'express' | 'koa';
  /** HTTP only: how the route publishes its event (none: the plain route). */
  readonly events?: RouteEventing;
  /**
   * RabbitMQ send cases: `unbound` binds no queue to the topic, so the broker routes each
   * message nowhere and confirms it at once; what is left is each client's own cost per send.
   */
  readonly route?: 'unbound';
  /**
   * eventwire only: the messages are events in this envelope, sent with `publishEvent` (send
   * cases) and consumed through `createConsumer`'s handler map (consume cases), pre-filled by
   * eventwire itself in that envelope (`cloudevents`: binary mode; `cloudevents-structured`:
   * structured mode). Unset: `send()` and `messageHandler` of plain JSON.
   */
  readonly envelope?: 'eventwire' | 'cloudevents' | 'cloudevents-structured';
  /**
   * eventwire only: `false` configures `telemetry: false`; `spans` configures
   * `telemetry: { metrics: false }` (spans without metrics). Unset: the default, which with
   * `@opentelemetry/api` installed (as in this repository) and no SDK registered checks for an
   * SDK on every message.
   */
  readonly telemetry?: false | 'spans';
  /**
   * The OpenTelemetry SDK with no-op exporters is registered first (otel.ts): eventwire's own
   * spans and metrics, or the raw client's own instrumentation.
   */
  readonly otel?: true;
}

/** Sizes and durations of one run; `--quick` picks the small ones. */
export interface Sizes {
  readonly sendSeconds: number;
  readonly warmupSeconds: number;
  readonly inFlight: number;
  readonly batchSize: number;
  /** Fire-and-forget events per case, per broker. */
  readonly emitEvents: Readonly<Record<BrokerId, number>>;
  /** Messages pre-filled and drained per consume case, per broker. */
  readonly consumeMessages: Readonly<Record<BrokerId, number>>;
  /** A drain still running after this long ends there, its rate counted on what it handled. */
  readonly consumeSeconds: number;
  readonly httpSeconds: number;
  /** autocannon run before the measured one, untimed (0: none). */
  readonly httpWarmupSeconds: number;
  readonly httpConnections: number;
  /** A child still running after this long is killed and its case recorded as failed. */
  readonly caseTimeoutSeconds: number;
}

/** What the runner hands a child process. */
export interface CaseParams {
  readonly spec: CaseSpec;
  readonly sizes: Sizes;
  /** Unique prefix of every topic, stream, queue and group this case creates. */
  readonly name: string;
}

/**
 * `cpu`: the measured process's CPU time (user + system) per unit of work, in µs, over the timed
 * window only: per message for send and consume cases, per request for the HTTP server. Less
 * sensitive to other load on the machine than `rate` or `rps`; lower is better.
 * `overhead`: derived, never measured: µs per message that telemetry adds to a case's `rate`.
 * `cpu-overhead`: derived, never measured: CPU µs per message that telemetry adds to a case's `cpu`.
 */
export type Metric = 'rate' | 'rps' | 'p99' | 'cpu' | 'overhead' | 'cpu-overhead';

/** The unit of work a `cpu` figure is per: a message (send, consume) or an HTTP request. */
export type Work = 'msg' | 'req';

/** What a case of `kind` does once per unit of work. */
export const workOf = (kind: Kind): Work => (kind === 'http' ? 'req' : 'msg');

/** One child's answer. */
export interface CaseResult {
  readonly metrics: Partial<Record<Metric, number>>;
  /** Peak resident set of the measured process, in KiB (`process.resourceUsage().maxRSS`). */
  readonly maxRssKb?: number;
  /** Why a case could not run (peer missing, broker unsupported, crash, timeout). */
  readonly error?: string;
  /** Anything a reader must know to interpret the figure. */
  readonly note?: string;
  /** HTTP halves: the load generator's request count, the server's CPU time (µs). */
  readonly requests?: number;
  readonly cpuMicros?: number;
}

export interface Target {
  /** `min`: eventwire ÷ baseline must be at least `ratio`; `max`: at most. */
  readonly kind: 'min' | 'max';
  readonly ratio: number;
}

/** One line of the table: eventwire's figure against one baseline's. */
export interface Comparison {
  readonly against: string;
  readonly label: string;
  readonly metric: Metric;
  readonly target?: Target;
  /**
   * With metric `overhead` or `cpu-overhead`: the cases without telemetry that eventwire's case and
   * the baseline are set against; each side's figure is 1/rate − 1/rate (`overhead`) or cpu − cpu
   * (`cpu-overhead`) of its case without, in µs per message.
   */
  readonly without?: { readonly eventwire: string; readonly baseline: string };
  /** The case on eventwire's side of the comparison; default `eventwire`. */
  readonly side?: string;
}

export interface Scenario {
  readonly id: string;
  readonly broker: BrokerId;
  /** Keyed by role: `eventwire` is always there; baselines under their own keys. */
  readonly cases: Readonly<Record<string, CaseSpec>>;
  readonly comparisons: readonly Comparison[];
}

/** Messages between a child and the runner over the IPC channel. */
export type ChildMessage =
  | { readonly type: 'result'; readonly result: CaseResult }
  | { readonly type: 'listening'; readonly port: number };
