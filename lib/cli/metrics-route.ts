import type { ServerResponse } from 'node:http';
import { requirePeer } from '../config/load-peer.js';
import { MissingDependencyError } from '../errors/index.js';
import { registerPrometheusMetrics, type MetricSourcesOf, type UnregisterPrometheusMetrics } from '../prometheus/register-metrics.js';
import { prometheusMetrics } from '../prometheus/metric-table.js';

type PromClient = typeof import('prom-client');

/**
 * `GET /metrics` of the CLI's health port: prom-client's global registry in Prometheus text
 * format, or, without prom-client installed, a 404 whose one line says what to install.
 *
 * @example
 * const route = metricsRoute(messaging); await route.answer(response); route.close();
 */
export interface MetricsRoute {
  /** Whether prom-client was found: without it, every scrape gets the 404 with {@link metricsHint}. */
  readonly served: boolean;
  /** Writes the whole answer: 200 with the registry's text, 404 without prom-client, 500 when a collect failed. */
  answer(response: ServerResponse): Promise<void>;
  /** Removes the metrics this route registered (none when the application had registered them). */
  close(): void;
}

/** The hint a scrape gets when prom-client is not installed. */
export const metricsHint = 'GET /metrics needs the package "prom-client" next to eventwire: npm install prom-client';

/**
 * Registers eventwire's metrics for `messaging` on prom-client's global registry, unless the
 * application's modules already registered them there (with the default prefix), and serves that
 * registry: the application's own metrics on it are served too. `load` stands for loading
 * prom-client; it throws a `MissingDependencyError` when the package is absent.
 *
 * @example
 * const route = metricsRoute(messaging);
 */
export function metricsRoute(
  messaging: MetricSourcesOf,
  load: () => PromClient = () => requirePeer<PromClient>('prom-client', 'metrics route of --health-port'),
): MetricsRoute {
  let client: PromClient;
  try {
    client = load();
  } catch (error) {
    if (!(error instanceof MissingDependencyError)) throw error;
    return { served: false, answer: async (response) => text(response, 404, `${metricsHint}\n`), close: () => {} };
  }
  const registry = client.register;
  const first = prometheusMetrics[0];
  const already = first !== undefined && registry.getSingleMetric(`eventwire_${first.name}`) !== undefined;
  const unregister: UnregisterPrometheusMetrics = already ? () => {} : registerPrometheusMetrics(messaging, { registry });
  return {
    served: true,
    answer: async (response) => {
      try {
        text(response, 200, await registry.metrics(), registry.contentType);
      } catch (error) {
        text(response, 500, `collecting the metrics failed: ${error instanceof Error ? error.message : String(error)}\n`);
      }
    },
    close: unregister,
  };
}

function text(response: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}
