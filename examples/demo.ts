// `npm run demo`: the Express example and the worker in one process, an HTTP request, and the
// event flowing to the handlers. MESSAGING_BROKER=redis|rabbitmq|kafka runs it on a real broker.
// `npm run demo -- --trace` also prints the OpenTelemetry trace of it all (demo-tracing.ts).
import type { AddressInfo } from 'node:net';

// OpenTelemetry comes first, before the app and eventwire load, as in an application.
const tracing = process.argv.includes('--trace') ? await import('./demo-tracing.js') : undefined;
const { getMessaging, runConsumers } = await import('eventwire');
const { createApp } = await import('./express-app.js');
const { db } = await import('./worker.js');

const messaging = getMessaging();
const broker = process.env.MESSAGING_BROKER ?? 'memory';
const running = await runConsumers();
const server = createApp().listen(0);
const { port } = server.address() as AddressInfo;

console.log(`demo: broker=${broker}; consumers: ${running.consumers.map((c) => `${c.groupId} <- ${c.topics.join(', ')}`).join('; ')}`);
console.log(`demo: POST http://127.0.0.1:${port}/users/register {"email":"ana@example.com"}`);
const response = await fetch(`http://127.0.0.1:${port}/users/register`, {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: 'ana@example.com' }),
});
console.log(`demo: HTTP ${response.status} ${await response.text()} (the event is published after this response)`);

const deadline = Date.now() + 30_000;
while (!db.emails.includes('ana@example.com') && Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const ok = db.emails.includes('ana@example.com');
console.log(ok ? 'demo: done — user.created → order-service → orders.created → confirmation email' : 'demo: the event did not arrive within 30 s');
server.close();
await running.stop();
await messaging.close();
if (tracing !== undefined) for (const line of await tracing.traceTree()) console.log(`demo: ${line}`);
process.exit(ok ? 0 : 1);
