import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { onResponseEnd } from '../lib/http/response-end.js';
import { createRouteEvent, type EventMiddlewareOptions, type RouteResult } from '../lib/http/route-event.js';

import { createHealthRoute, type HealthHandlerOptions } from '../lib/http/health-route.js';

export type { EventMiddlewareOptions } from '../lib/http/route-event.js';
export type { HealthHandlerOptions } from '../lib/http/health-route.js';

/** A response without a JSON result: its event carries `data: {}`. */
const notJson: RouteResult = { json: false };

/**
 * Express middleware that publishes `name` with the route's JSON result after the response has
 * gone out (the seed's `@event`). It never delays or fails the response: publishing is
 * fire-and-forget through the instance's buffer. No event when the route fails or the status is
 * not 2xx. A body sent without `res.json` (text, buffer, stream, empty) gives `data: {}`. When the
 * client disconnects first, the event is still published once the route produced its result,
 * since what the route did has happened.
 *
 * @example
 * app.post('/users/register', eventMiddleware('user.created', { topic: 'user-events', keyField: 'id' }), async (req, res) => {
 *   res.status(201).json(await createUser(req.body));
 * });
 */
export function eventMiddleware(name: string, options: EventMiddlewareOptions = {}): RequestHandler {
  const routeEvent = createRouteEvent(name, options);
  return (_req: Request, res: Response, next: NextFunction) => {
    let result: RouteResult | undefined;
    let finished = false;
    const publish = (): void => routeEvent.publish(res.statusCode, result ?? notJson);
    const json = res.json;
    // Captured per response, never on the prototype, so other routes are untouched.
    res.json = function captureJson(this: Response, body?: unknown) {
      result ??= { json: true, value: body };
      if (finished && !res.headersSent) queueMicrotask(publish);
      return json.call(this, body);
    };
    // Once the response is done, in the request's async context (see onResponseEnd).
    onResponseEnd(res, () => {
      finished = true;
      // Closed before the route answered: wait for its result, published by captureJson.
      if (!res.headersSent && result === undefined) return;
      publish();
    });
    next();
  };
}

/**
 * An Express handler for a health route: 200 with `messaging.health()` as JSON when the probe
 * passes, 503 with the same body when it does not (see docs/observability.md).
 *
 * @example
 * app.get('/readyz', healthHandler()); app.get('/livez', healthHandler({ probe: 'live' }));
 */
export function healthHandler(options: HealthHandlerOptions = {}): RequestHandler {
  const answer = createHealthRoute(options);
  return (_req: Request, res: Response) => {
    const { status, body } = answer();
    res.status(status).json(body);
  };
}
