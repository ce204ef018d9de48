import type { Server } from 'node:http';
import express, { type Request, type Response } from 'express';
import { eventMiddleware } from 'eventwire/express';
import { routeEventName } from '../config.js';
import type { RouteBody } from '../raw/by-hand.js';
import type { RouteEvents } from './http-app.js';

/**
 * `POST /users` on Express 5, answering 201 with `user()`: plain, behind `eventMiddleware`, or
 * publishing by hand once the response finished. Each variant is its own route function, so the
 * plain one carries no check for the others.
 */
export function listenExpress(events: RouteEvents, user: () => RouteBody): Server {
  const app = express();
  const plain = (_req: Request, res: Response): void => void res.status(201).json(user());
  switch (events.kind) {
    case 'none':
      app.post('/users', plain);
      break;
    case 'middleware':
      app.post('/users', eventMiddleware(routeEventName, { topic: events.topic, keyField: 'id', messaging: events.messaging }), plain);
      break;
    case 'by-hand': {
      const { publish } = events;
      app.post('/users', (_req: Request, res: Response): void => {
        const body = user();
        res.once('finish', () => publish(body));
        res.status(201).json(body);
      });
      break;
    }
  }
  return app.listen(0, '127.0.0.1');
}
