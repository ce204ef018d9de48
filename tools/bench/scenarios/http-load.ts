import autocannon from 'autocannon';
import type { CaseResult } from '../types.js';

/**
 * The load generator of an HTTP case, in a process of its own so that it does not share the
 * server's event loop: autocannon against 127.0.0.1 only, a short warm-up (full runs), then the measured run.
 */
export async function loadHttp(port: number, seconds: number, warmupSeconds: number, connections: number): Promise<CaseResult> {
  const options = {
    url: `http://127.0.0.1:${port}/users`,
    method: 'POST' as const,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'ana.lopez@example.com' }),
    connections,
  };
  const warmup = warmupSeconds > 0 ? (await autocannon({ ...options, duration: warmupSeconds })).requests.total : 0;
  const result = await autocannon({ ...options, duration: seconds });
  const failures = result.errors + result.timeouts + result.non2xx;
  return {
    metrics: { rps: result.requests.average, p99: result.latency.p99 },
    requests: warmup + result.requests.total,
    ...(failures > 0 ? { note: `${failures} failed requests` } : {}),
  };
}
