// The register route of the Python core.messaging design (UserViewSet.register), as an Express 5
// route: publishes "user.created" after the response has gone out. Run alone with a real broker:
//   MESSAGING_BROKER=redis PORT=3000 npm run example:express
import express from 'express';
import { pathToFileURL } from 'node:url';
import { eventMiddleware } from 'eventwire/express';
import { messaging, names } from './messaging.js';

interface User {
  readonly id: number;
  readonly email: string;
}

/** Builds the app; `users` plays the database. */
export function createApp(users: User[] = []) {
  const app = express();
  app.use(express.json());

  app.post('/users/register', eventMiddleware('user.created', { topic: names.userTopic, keyField: 'id' }), (req, res) => {
    const email: unknown = req.body?.email;
    if (typeof email !== 'string' || !email.includes('@')) {
      // A 4xx publishes nothing.
      res.status(400).json({ error: 'email is required' });
      return;
    }
    const user = { id: users.length + 1, email };
    users.push(user);
    res.status(201).json(user);
  });

  return app;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3000);
  const server = createApp().listen(port, () => console.log(`express example on http://localhost:${port} (POST /users/register)`));
  // On SIGTERM (a deploy) or Ctrl-C: stop taking requests, then flush the events still in the
  // buffer (up to 5 s) and close the broker connection. Without this the last requests' events are lost.
  const shutdown = (): void => void server.close(() => void messaging.close({ timeoutMs: 5_000 }));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
