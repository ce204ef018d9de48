// The same register route on Koa 3 with @koa/router. Run alone with a real broker:
//   MESSAGING_BROKER=redis PORT=3001 npm run example:koa
import Router from '@koa/router';
import Koa from 'koa';
import { pathToFileURL } from 'node:url';
import { eventMiddleware } from 'eventwire/koa';
import { messaging, names } from './messaging.js';

interface User {
  readonly id: number;
  readonly email: string;
}

/** Builds the app; `users` plays the database. */
export function createApp(users: User[] = []) {
  const app = new Koa();
  const router = new Router();

  router.post('/users/register', eventMiddleware('user.created', { topic: names.userTopic, keyField: 'id' }), async (ctx) => {
    const email = await readEmail(ctx.req);
    if (email === undefined) {
      ctx.status = 400;
      ctx.body = { error: 'email is required' };
      return;
    }
    const user = { id: users.length + 1, email };
    users.push(user);
    ctx.status = 201;
    ctx.body = user;
  });

  app.use(router.routes());
  return app;
}

/** Koa has no body parser built in; this example reads the small JSON body itself. */
async function readEmail(req: NodeJS.ReadableStream): Promise<string | undefined> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  try {
    const email: unknown = (JSON.parse(text) as { email?: unknown }).email;
    return typeof email === 'string' && email.includes('@') ? email : undefined;
  } catch {
    return undefined;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const port = Number(process.env.PORT ?? 3000);
  const server = createApp().listen(port, () => console.log(`koa example on http://localhost:${port} (POST /users/register)`));
  // On SIGTERM (a deploy) or Ctrl-C: stop taking requests, then flush the events still in the
  // buffer (up to 5 s) and close the broker connection. Without this the last requests' events are lost.
  const shutdown = (): void => void server.close(() => void messaging.close({ timeoutMs: 5_000 }));
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
