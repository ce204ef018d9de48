import { AsyncResource } from 'node:async_hooks';
import type { Middleware } from 'koa';
import { Stream } from 'node:stream';
import { createRouteEvent, type EventMiddlewareOptions, type RouteResult } from '../lib/route-event.js';

export type { EventMiddlewareOptions } from '../lib/route-event.js';

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
    let published = false;
    // Read once the response ended, after upstream middleware had its last word on status and body.
    // Run in the request's async context, as on-finished did: AsyncLocalStorage stores (request
    // ids, trace context) set around the route are there when the event is emitted.
    // A resource made here costs about 0.2 µs; AsyncResource.bind, which on Node 20 defines two
    // deprecation wrappers per call, cost about 18 µs a request.
    const scope = new AsyncResource('eventwire.route-event');
    const ended = (): void => scope.runInAsyncScope(end);
    const end = (): void => {
      if (published) return;
      published = true;
      const body: unknown = ctx.body;
      routeEvent.publish(ctx.status, isJson(body) ? { json: true, value: body } : notJson);
    };
    // 'finish' once the response was sent; 'close' also when the client went away first (a
    // serverless adapter's response may emit only 'finish'). Cheaper than the on-finished package,
    // which listens on the socket as well. Already ended (the client left while the route ran):
    // neither will come, and upstream middleware still gets its turn first.
    const { res } = ctx;
    if (res.closed || res.writableFinished) setImmediate(ended);
    else {
      res.once('finish', ended);
      res.once('close', ended);
    }
  };
}

function isJson(body: unknown): boolean {
  if (body === null || body === undefined || typeof body === 'string') return false;
  return !Buffer.isBuffer(body) && !(body instanceof Stream) && !(body instanceof Uint8Array) && !(body instanceof Blob);
}
