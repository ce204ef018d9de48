import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { MessagingHealth } from '../health.js';
import type { MetricSourcesOf } from '../prometheus/register-metrics.js';
import { CliExit, exitCodes } from './exit.js';
import type { HealthAddress } from './health-address.js';
import { metricsHint, metricsRoute, type MetricsRoute } from './metrics-route.js';

/**
 * The probe routes `--health-port` serves: liveness (restart the process when it fails) and
 * readiness (send traffic only when it passes), as Kubernetes probes ask them.
 */
const probes: Readonly<Record<string, 'live' | 'ready'>> = { '/healthz': 'live', '/readyz': 'ready' };

/**
 * The CLI's health endpoint: a bare `node:http` server, by default on every interface so that a
 * probe from outside the container reaches it.
 *
 * @example
 * const server = await startHealthServer(messaging, { port: 8081 }); … await server.close();
 */
export interface HealthServer {
  /** The port it listens on. */
  readonly port: number;
  /** Where it listens, for the log: `port 8081`, or `127.0.0.1:8081` with a host. */
  readonly where: string;
  /** The line the CLI prints once it listens: the routes it serves, and what `/metrics` lacks, if anything. */
  readonly banner: string;
  /**
   * The worker is stopping (a stop signal came): `/readyz` answers 503, and its report says
   * `ready: false, closing: true`, although `close()` waits until the consumers drained.
   */
  stopping(): void;
  /** Stops listening and ends open connections (keep-alive ones included). */
  close(): Promise<void>;
}

/**
 * Serves `GET /healthz` (200 while `health().live`, else 503) and `GET /readyz` (200 while
 * `health().ready`, else 503), each with the health report as JSON (it holds no credentials),
 * and `GET /metrics` from `metrics` (by default prom-client's global registry with eventwire's
 * metrics, see {@link metricsRoute}); any other path is 404, any other method 405. The server
 * never holds the process alive by itself. Listens on `address.host`, else on every interface.
 * Rejects with a {@link CliExit} naming `--health-port` (or `--health-host`) when it cannot listen.
 *
 * @example
 * const server = await startHealthServer(messaging, { port: 8081, host: '127.0.0.1' });
 */
export async function startHealthServer(
  messaging: MetricSourcesOf,
  address: HealthAddress,
  metrics: MetricsRoute = metricsRoute(messaging),
): Promise<HealthServer> {
  const { port, host } = address;
  let stopping = false;
  const report = (): MessagingHealth => {
    const health = messaging.health();
    return stopping ? { ...health, ready: false, closing: true } : health;
  };
  const server = createServer((request, response) => answer(report, metrics, request, response));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  }).catch((error: unknown) => {
    metrics.close();
    throw listenFailure(error, port, host);
  });
  server.unref();
  const where = host === undefined ? `port ${port}` : `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    port,
    where,
    banner: metrics.served ? `serving /healthz, /readyz and /metrics on ${where}` : `serving /healthz and /readyz on ${where}; ${metricsHint}`,
    stopping: () => {
      stopping = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        metrics.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Why the server could not listen, naming the flag to change. */
function listenFailure(error: unknown, port: number, host: string | undefined): CliExit {
  const code = (error as { code?: unknown }).code;
  if (host !== undefined && (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')) {
    const why = code === 'EADDRNOTAVAIL' ? 'that address is not one of this machine\'s' : 'that host name does not resolve';
    return new CliExit(exitCodes.failure, `cannot serve health checks on --health-host ${host}: ${why}. Choose an address of this machine, or leave the flag out to listen on every interface.`);
  }
  const why = code === 'EADDRINUSE' ? 'the port is in use' : code === 'EACCES' ? 'not allowed to use that port' : String((error as Error).message);
  return new CliExit(exitCodes.failure, `cannot serve health checks on --health-port ${port}: ${why}. Choose another port.`);
}

function answer(health: () => MessagingHealth, metrics: MetricsRoute, request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '/').split('?')[0] ?? '/';
  const probe = Object.hasOwn(probes, path) ? probes[path] : undefined;
  if (probe === undefined && path !== '/metrics') return reply(response, 404, { error: `no route ${path}: the routes are /healthz, /readyz and /metrics` });
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    return reply(response, 405, { error: `${path} answers GET and HEAD only` });
  }
  if (probe === undefined) return void metrics.answer(response);
  const report = health();
  reply(response, report[probe] ? 200 : 503, report);
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
