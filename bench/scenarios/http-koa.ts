import type { Server } from 'node:http';
import Router from '@koa/router';
import Koa, { type Context } from 'koa';
import type { Messaging } from 'eventwire';
import { eventMiddleware } from 'eventwire/koa';

/** `POST /users` on Koa 3 with @koa/router, with `eventMiddleware` when `messaging` is given. */
export function listenKoa(messaging: Messaging | undefined, topic: string, user: () => object): Server {
  const app = new Koa();
  const router = new Router();
  const route = (ctx: Context): void => {
    ctx.status = 201;
    ctx.body = user();
  };
  if (messaging === undefined) router.post('/users', route);
  else router.post('/users', eventMiddleware('user.created', { topic, keyField: 'id', messaging }), route);
  app.use(router.routes());
  return app.listen(0, '127.0.0.1');
}
