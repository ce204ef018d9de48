import type { Counter, Gauge, Registry } from 'prom-client';
import { requirePeer } from '../config/load-peer.js';
import { describe, expectFunction, expectKnownKeys, expectMatch, expectObject } from '../config/validate.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { Messaging } from '../messaging.js';
import type { Logger } from '../config/logger.js';
import { quietLag } from '../lag.js';
import { lagGauge, lagMetricName } from './lag-gauge.js';
import { prometheusMetrics, type MetricSources, type PrometheusMetric } from './metric-table.js';

type PromClient = typeof import('prom-client');

/**
 * Options of {@link registerPrometheusMetrics}.
 *
 * @example
 * const options: PrometheusOptions = { registry: new Registry(), prefix: 'billing_eventwire' };
 */
export interface PrometheusOptions {
  /** The prom-client registry to register on; default: prom-client's global `register`. */
  readonly registry?: Registry | undefined;
  /**
   * What every metric name starts with, followed by `_` (default `eventwire`). Names are unique
   * per registry: give each instance sharing a registry a prefix of its own.
   */
  readonly prefix?: string | undefined;
}

/** Removes the metrics {@link registerPrometheusMetrics} registered; calling it again does nothing. */
export type UnregisterPrometheusMetrics = () => void;

const PREFIX = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const known = ['registry', 'prefix'] as const;

/**
 * Registers eventwire's metrics for one instance on a prom-client registry: counters read from
 * `messaging.stats()`, gauges read from `messaging.health()` and the consumer lag gauge read from
 * `messaging.lag()` when the registry is scraped (no timer, nothing kept between scrapes). A lag
 * that cannot be read is logged on `messaging.logger` and left out of that scrape. Loads the
 * optional peer `prom-client` on first use (a `MissingDependencyError` naming it when absent).
 * Throws an `InvalidArgumentError` naming the option for bad options, and naming `prefix` when
 * the registry already holds one of the names (a second instance on the same registry needs a
 * prefix of its own).
 *
 * @example
 * const unregister = registerPrometheusMetrics(getMessaging());
 * app.get('/metrics', async (_req, res) => res.type(register.contentType).send(await register.metrics()));
 */
export function registerPrometheusMetrics(
  messaging: MetricSourcesOf,
  options: PrometheusOptions = {},
): UnregisterPrometheusMetrics {
  const sources = expectSources(messaging);
  const given = expectObject('options', options);
  expectKnownKeys('registerPrometheusMetrics options', given, known);
  const prefix = expectMatch('prefix', options.prefix ?? 'eventwire', PREFIX, 'a metric name prefix of letters, digits, "_" or ":", not starting with a digit');
  const client = requirePeer<PromClient>('prom-client', 'Prometheus metrics helper (eventwire/prometheus)');
  const registry = options.registry === undefined ? client.register : expectRegistry(options.registry);
  const names = [...prometheusMetrics.map((metric) => metric.name), lagMetricName].map((name) => `${prefix}_${name}`);
  const taken = names.find((name) => registry.getSingleMetric(name) !== undefined);
  if (taken !== undefined) {
    throw new InvalidArgumentError(
      'prefix',
      `The registry already has a metric named ${taken}: another instance registered there with the prefix ${JSON.stringify(prefix)}. ` +
        'Pass a different `prefix` for each instance that shares a registry, or call the first one\'s unregister function.',
    );
  }
  prometheusMetrics.forEach((metric, index) => registry.registerMetric(create(client, metric, names[index] ?? metric.name, sources)));
  registry.registerMetric(lagGauge(client, `${prefix}_${lagMetricName}`, quietLag(sources.lag, sources.logger, 'Prometheus')));
  let registered = true;
  return () => {
    if (!registered) return;
    registered = false;
    for (const name of names) registry.removeSingleMetric(name);
  };
}

/** What {@link registerPrometheusMetrics} reads from an instance: a `Messaging` fits. */
export type MetricSourcesOf = Pick<Messaging, 'stats' | 'health' | 'lag' | 'logger'>;

function expectSources(messaging: unknown): MetricSources {
  if (typeof messaging !== 'object' || messaging === null) {
    throw new InvalidArgumentError('messaging', `Expected \`messaging\` to be a messaging instance (createMessaging() or getMessaging()), got ${describe(messaging)}.`);
  }
  const instance = messaging as Record<string, unknown>;
  expectFunction('messaging.stats', instance.stats);
  expectFunction('messaging.health', instance.health);
  expectFunction('messaging.lag', instance.lag);
  const target = messaging as MetricSourcesOf;
  const logger = typeof target.logger === 'object' && target.logger !== null ? target.logger : silent;
  return { stats: () => target.stats(), health: () => target.health(), lag: () => target.lag(), logger };
}

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function expectRegistry(registry: unknown): Registry {
  const object = expectObject('registry', registry);
  for (const method of ['registerMetric', 'getSingleMetric', 'removeSingleMetric']) {
    if (typeof object[method] !== 'function') {
      throw new InvalidArgumentError('registry', `Expected \`registry\` to be a prom-client Registry, got an object without ${method}().`);
    }
  }
  return registry as Registry;
}

function create(client: PromClient, metric: PrometheusMetric, name: string, sources: MetricSources): Counter | Gauge {
  if (metric.type === 'counter') {
    return new client.Counter({
      name,
      help: metric.help,
      registers: [],
      collect(this: Counter) {
        // A counter has no set(): the value is the instance's own running total.
        this.reset();
        this.inc(metric.read(sources));
      },
    });
  }
  return new client.Gauge({
    name,
    help: metric.help,
    registers: [],
    collect(this: Gauge) {
      this.set(metric.read(sources));
    },
  });
}
