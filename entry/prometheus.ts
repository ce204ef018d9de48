// 'eventwire/prometheus': eventwire's metrics on a prom-client registry, for applications that
// scrape with Prometheus instead of running an OpenTelemetry SDK. prom-client is an optional peer,
// loaded when registerPrometheusMetrics() is first called.
export { registerPrometheusMetrics } from '../lib/prometheus/register-metrics.js';
export type { MetricSourcesOf, PrometheusOptions, UnregisterPrometheusMetrics } from '../lib/prometheus/register-metrics.js';
export { prometheusMetrics } from '../lib/prometheus/metric-table.js';
export type { PrometheusMetric, MetricSources } from '../lib/prometheus/metric-table.js';
export { InvalidArgumentError, MissingDependencyError } from '../lib/errors/index.js';
