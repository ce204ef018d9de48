import type { Messaging } from 'eventwire';
import { createMemoryServer } from 'eventwire/memory';
import { payload, routeEventName } from '../config.js';
import { namesOf } from '../drivers.js';
import { eventwireMessaging } from '../eventwire.js';
import type { HandPublisher, RouteBody } from '../raw/by-hand.js';
import { bindForSend } from '../raw/index.js';
import type { CaseParams, CaseResult, ChildMessage } from '../types.js';

/** What the route does about its event (the case's `events`), with what it needs for that. */
export type RouteEvents =
  | { readonly kind: 'none' }
  | { readonly kind: 'middleware'; readonly messaging: Messaging; readonly topic: string }
  | { readonly kind: 'by-hand'; readonly publish: (body: RouteBody) => void };

/** How long closing waits for events still on their way, on either publishing side. */
const closeTimeoutMs = 30_000;

/**
 * The HTTP server of an HTTP case, in its own process: `POST /users` answers 201 with a small
 * JSON user, without an event, with `eventMiddleware('user.created')`, or publishing the event by
 * hand with the raw client. The load comes from another process (http-load.ts). On 'stop' the
 * server closes, the publishing side flushes (up to 30 s), and the process reports its peak RSS
 * and how many events the broker acknowledged. The publishing side connects (and publishes one
 * warm-up event, not counted) before the server listens.
 */
export async function serveHttp(params: CaseParams, send: (message: ChildMessage) => Promise<void>): Promise<void> {
  const { spec } = params;
  const { topic, sendQueue } = namesOf(params);
  const memoryServer = createMemoryServer();
  let messaging: Messaging | undefined;
  let publisher: HandPublisher | undefined;
  let events: RouteEvents = { kind: 'none' };
  if (spec.events === 'middleware') {
    await bindForSend(spec.broker, topic, sendQueue);
    messaging = eventwireMessaging(spec, memoryServer);
    await messaging.publishEvent('bench.warmup', payload, { topic });
    events = { kind: 'middleware', messaging, topic };
  } else if (spec.events === 'by-hand') {
    await bindForSend(spec.broker, topic, sendQueue);
    const { handPublisher } = await import('../raw/by-hand.js');
    const hand = await handPublisher(spec.broker, topic, routeEventName, memoryServer);
    publisher = hand;
    events = { kind: 'by-hand', publish: (body) => hand.publish(body) };
  }
  let nextId = 0;
  const user = (): RouteBody => ({ ...payload, id: (nextId += 1) });
  const server = spec.framework === 'koa' ? (await import('./http-koa.js')).listenKoa(events, user) : (await import('./http-express.js')).listenExpress(events, user);
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
  let note: string | undefined;
  if (messaging !== undefined) {
    await messaging.close({ timeoutMs: closeTimeoutMs });
    const { published, eventsDropped } = messaging.stats();
    // `published` counts the warm-up event too.
    note = `${published - 1} events acknowledged by the broker, ${eventsDropped} dropped`;
  } else if (publisher !== undefined) {
    const { acknowledged, failed, backlog, pending } = await publisher.close(closeTimeoutMs);
    const waited = backlog > 0 ? ` (${backlog} still unanswered when the load ended)` : '';
    const lost = pending > 0 ? `, ${pending} unanswered after ${closeTimeoutMs / 1000} s` : '';
    note = `${acknowledged} events acknowledged by the broker, ${failed} failed${lost}${waited}`;
  }
  await send({ type: 'result', result: note === undefined ? result : { ...result, note } });
}
