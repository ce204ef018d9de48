import type { ServerResponse } from 'node:http';
import onFinished from 'on-finished';

/**
 * Calls `listener` once, when `res` is done: sent, or past sending because the client went away
 * or its socket failed. The event middleware of Express and Koa waits on this, so that what it
 * does never delays or fails the response.
 *
 * Contracts the middleware relies on:
 * - The listener runs in the async context current at this call (on-finished binds it with an
 *   AsyncResource), so AsyncLocalStorage stores set around the route (a request id, a trace
 *   context) are there, also when the socket's `close` rather than the route ended the response.
 * - A response already done (the client left while an earlier middleware waited) calls it on a
 *   later turn (setImmediate), never synchronously.
 * - A socket error is not reported: the route's work has happened either way, and the caller
 *   decides from the response's state alone.
 * - A response without a socket (a serverless adapter's) is done on its `finish`.
 *
 * @example
 * onResponseEnd(res, () => routeEvent.publish(res.statusCode, result));
 */
export function onResponseEnd(res: ServerResponse, listener: () => void): void {
  onFinished(res, () => listener());
}
