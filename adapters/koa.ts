import type { Middleware } from 'koa';
import { Stream } from 'node:stream';
import { onResponseEnd } from '../lib/http/response-end.js';
import { createRouteEvent, type EventMiddlewareOptions, type RouteResult } from '../lib/http/route-event.js';

import { createHealthRoute, type HealthHandlerOptions } from '../lib/http/health-route.js';

export type { EventMiddlewareOptions } from '../lib/http/route-event.js';
export type { HealthHandlerOptions } from '../lib/http/health-route.js';

/** A response without a JSON result: its event carries `data: {}`. */
const notJson: RouteResult = { json: false };

/**
 * Koa middleware that publishes `name` with the route's `ctx.body` after the response has gone
 * out (the seed's `@event`). No event when a later middleware throws or the status is not 2xx;
 * the error still reaches Koa. A body that is not JSON (string, Buffer, stream, none) gives
 * `data: {}`. A client that disconnects does not cancel the event: the route did its work.
 *
 * @example
 * router.post('/users/register', eventMiddleware('user.created', { topic: 'user-events', keyField: 'id' }), async (ctx) => {
 *   ctx.status = 201; ctx.body = await createUser(ctx.request.body);
 * });
 */
export function eventMiddleware(name: string, options: EventMiddlewareOptions = {}): Middleware {
  const routeEvent = createRouteEvent(name, options);
  return async (ctx, next) => {
    await next();
    // Read once the response is done, after upstream middleware had its last word on status and
    // body; in the request's async context (see onResponseEnd).
    onResponseEnd(ctx.res, () => {
      const body: unknown = ctx.body;
      routeEvent.publish(ctx.status, isJson(body) ? { json: true, value: body } : notJson);
    });
  };
}

/**
 * A Koa middleware for a health route: 200 with `messaging.health()` as JSON when the probe
 * passes, 503 with the same body when it does not (see docs/observability.md).
 *
 * @example
 * router.get('/readyz', healthHandler()); router.get('/livez', healthHandler({ probe: 'live' }));
 */
export function healthHandler(options: HealthHandlerOptions = {}): Middleware {
  const answer = createHealthRoute(options);
  return async (ctx) => {
    const { status, body } = answer();
    ctx.status = status;
    ctx.body = body;
  };
}

function isJson(body: unknown): boolean {
  if (body === null || body === undefined || typeof body === 'string') return false;
  return !Buffer.isBuffer(body) && !(body instanceof Stream) && !(body instanceof Uint8Array) && !(body instanceof Blob);
}
