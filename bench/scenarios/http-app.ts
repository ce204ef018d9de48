import type { Messaging } from 'eventwire';
import { createMemoryServer } from 'eventwire/memory';
import { payload } from '../config.js';
import { namesOf } from '../drivers.js';
import { eventwireMessaging } from '../eventwire.js';
import { bindForSend } from '../raw/index.js';
import type { CaseParams, CaseResult, ChildMessage } from '../types.js';

/**
 * The HTTP server of an HTTP case, in its own process: `POST /users` answers 201 with a small
 * JSON user, with or without `eventMiddleware('user.created')`. The load comes from another
 * process (http-load.ts). On 'stop' the server closes, messaging flushes, and the process
 * reports its peak RSS and how many events reached the broker.
 */
export async function serveHttp(params: CaseParams, send: (message: ChildMessage) => Promise<void>): Promise<void> {
  const { spec } = params;
  const { topic, sendQueue } = namesOf(params);
  let messaging: Messaging | undefined;
  if (spec.middleware === true) {
    await bindForSend(spec.broker, topic, sendQueue);
    messaging = eventwireMessaging(spec.broker, createMemoryServer());
    await messaging.publishEvent('bench.warmup', payload, { topic });
  }
  let nextId = 0;
  const user = (): object => ({ ...payload, id: (nextId += 1) });
  const server =
    spec.framework === 'koa'
      ? (await import('./http-koa.js')).listenKoa(messaging, topic, user)
      : (await import('./http-express.js')).listenExpress(messaging, topic, user);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server has no port');
  await send({ type: 'listening', port: address.port });
  const cpuAtStart = process.cpuUsage();
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const cpu = process.cpuUsage(cpuAtStart);
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  // The runner divides by the requests the load generator made (warm-up included, like the CPU time).
  const result: CaseResult = { metrics: {}, cpuMicros: cpu.user + cpu.system };
  if (messaging !== undefined) {
    await messaging.close({ timeoutMs: 30_000 });
    const { published, eventsDropped } = messaging.stats();
    // `published` counts the warm-up event too.
    await send({ type: 'result', result: { ...result, note: `${published - 1} events acknowledged by the broker, ${eventsDropped} dropped` } });
    return;
  }
  await send({ type: 'result', result });
}
