import type { Server } from 'node:http';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import { eventMiddleware } from 'eventwire/koa';
import { routeEventName } from '../config.js';
import type { RouteBody } from '../raw/by-hand.js';
import type { RouteEvents } from './http-app.js';

/**
 * `POST /users` on Koa 3 with @koa/router, answering 201 with `user()`: plain, behind
 * `eventMiddleware`, or publishing by hand once the response finished. Each variant is its own
 * route function, so the plain one carries no check for the others.
 */
export function listenKoa(events: RouteEvents, user: () => RouteBody): Server {
  const app = new Koa();
  const router = new Router();
  const plain = (ctx: Context): void => {
    ctx.status = 201;
    ctx.body = user();
  };
  switch (events.kind) {
    case 'none':
      router.post('/users', plain);
      break;
    case 'middleware':
      router.post('/users', eventMiddleware(routeEventName, { topic: events.topic, keyField: 'id', messaging: events.messaging }), plain);
      break;
    case 'by-hand': {
      const { publish } = events;
      router.post('/users', (ctx: Context): void => {
        const body = user();
        ctx.status = 201;
        ctx.body = body;
        ctx.res.once('finish', () => publish(body));
      });
      break;
    }
  }
  app.use(router.routes());
  return app.listen(0, '127.0.0.1');
}
