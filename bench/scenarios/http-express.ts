import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import type { Messaging } from 'eventwire';
import { eventMiddleware } from 'eventwire/express';

/** `POST /users` on Express 5, with `eventMiddleware` when `messaging` is given. */
export function listenExpress(messaging: Messaging | undefined, topic: string, user: () => object): Server {
  const app = express();
  const route = (_req: Request, res: Response): void => void res.status(201).json(user());
  if (messaging === undefined) app.post('/users', route);
  else app.post('/users', eventMiddleware('user.created', { topic, keyField: 'id', messaging }), route);
  return app.listen(0, '127.0.0.1');
}
