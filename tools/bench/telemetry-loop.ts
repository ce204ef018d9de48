/**
 * Microseconds per message that eventwire's telemetry costs on its own, without a broker: the
 * calls the producer makes around one publish (`send`, then `end` once acknowledged) and the ones
 * the consumer makes around one delivery (the `process` span link, the counting link and
 * `eventHandled`), timed in a loop. Each round times every variant in turn, in one process, so
 * that a shared machine's drift hits them alike; the figure is the median over rounds.
 *
 *   npx tsx tools/bench/telemetry-loop.ts [--sdk] [--base <checkout>] [--parts spans|metrics] [--rounds 15] [--messages 20000]
 *
 * Variants: `off` (`telemetry: false`), `this` (this checkout's lib/telemetry) and, with
 * `--base`, the same of another checkout (a `git archive` with a node_modules link to this
 * one's, so both load the same `@opentelemetry/api`). Each is compiled by tsc first, as users run
 * it (see build.ts: tsx's `keepNames` makes every closure dearer); `--source` loads the
 * TypeScript instead. `--sdk` registers the SDK with no-op exporters as the `otel-sdk-*` cases
 * do; without it the API is installed and no SDK is. `--parts` turns the other part off.
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { createStats } from '../../lib/stats.js';
import type { IncomingMessage, OutgoingMessage } from '../../lib/broker.js';
import type { DeliveryContext, Link, Middleware } from '../../lib/handling/chain.js';
import type { Telemetry } from '../../lib/telemetry/telemetry.js';
import { installOtel } from './otel.js';

const { values } = parseArgs({
  options: {
    sdk: { type: 'boolean', default: false },
    base: { type: 'string' },
    rounds: { type: 'string', default: '15' },
    messages: { type: 'string', default: '20000' },
    system: { type: 'string', default: 'rabbitmq' },
    only: { type: 'string' },
    parts: { type: 'string', default: 'both' },
    source: { type: 'boolean', default: false },
  },
});

const messagesPerRound = Number(values.messages);
/** Macrotask turns as an application gives them, so the batch span processor exports as it would. */
const yieldEvery = 256;

type Create = (options: object, target: object, stats: object, lag: () => Promise<never[]>) => Telemetry;

/** The checkout's `createTelemetry`, compiled into its `.cache/telemetry-loop` unless `--source`. */
async function loadTelemetry(root: string): Promise<Create> {
  let file = resolve(root, 'lib/telemetry/telemetry.ts');
  if (!values.source) {
    const out = resolve(root, '.cache/telemetry-loop');
    const tsc = fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url));
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', out, '--declaration', 'false', '--sourceMap', 'false', '--inlineSources', 'false'], { cwd: root, stdio: 'inherit' });
    file = resolve(out, 'lib/telemetry/telemetry.js');
  }
  const module = (await import(pathToFileURL(file).href)) as { createTelemetry: Create };
  return module.createTelemetry;
}

function variant(create: Create): Telemetry {
  const target = { system: values.system, url: 'amqp://127.0.0.1:5672' };
  const options = { tracing: values.parts !== 'metrics', metrics: values.parts !== 'spans', processSpanParent: 'parent' };
  return create(options, target, createStats(), () => Promise.resolve([]));
}

const outgoing: OutgoingMessage = {
  id: '0b7c8f5e-3f0e-4d36-9d0c-5b5b4f0e8a11',
  name: 'order.placed',
  headers: { 'eventwire-event': 'order.placed', 'eventwire-id': '0b7c8f5e-3f0e-4d36-9d0c-5b5b4f0e8a11' },
  value: Buffer.from('{"id":1}'),
};
const incoming: IncomingMessage = {
  topic: 'orders',
  key: undefined,
  headers: { ...outgoing.headers, traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
  value: outgoing.value,
  id: 'amq-1',
  deliveryCount: undefined,
};
const ctx = { groupId: 'billing', attempt: 1, signal: new AbortController().signal, logger: console } as unknown as DeliveryContext;
const timestamp = new Date().toISOString();

/** One publish of one message, acknowledged at once. */
function sendLoop(telemetry: Telemetry): Promise<void> {
  return timed(() => {
    const traced = telemetry.send('orders', [outgoing]);
    traced?.end();
  });
}

/** One delivery through the links telemetry adds, to a handler that succeeds. */
function consumeChain(telemetry: Telemetry): Link {
  const handler: Link = (message, context) => {
    telemetry.eventHandled(message.topic, context.groupId, timestamp);
    return Promise.resolve();
  };
  const links = [telemetry.processLink(), telemetry.handlingLink()].filter((link): link is Middleware => link !== undefined);
  return links.reduceRight<Link>((next, link) => link(next), handler);
}

async function timed(one: () => void | Promise<void>): Promise<void> {
  for (let index = 0; index < messagesPerRound; index += 1) {
    const pending = one();
    if (pending !== undefined) await pending;
    if (index % yieldEvery === 0) await new Promise(setImmediate);
  }
}

/**
 * CPU time (user + system) per message, not wall time: on a shared machine the process waits for
 * a core now and then, which wall time would count. GC helper threads count too.
 */
async function microseconds(run: () => Promise<void>): Promise<number> {
  const start = process.cpuUsage();
  await run();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / messagesPerRound;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function main(): Promise<void> {
  if (values.sdk) installOtel({ impl: 'eventwire', kind: 'send-awaited', broker: 'rabbitmq' });
  const { noTelemetry } = await import('../../lib/telemetry/telemetry.js');
  const variants: Record<string, Telemetry> = { off: noTelemetry, this: variant(await loadTelemetry('.')) };
  if (values.base !== undefined) variants.base = variant(await loadTelemetry(values.base));
  const names = Object.keys(variants).filter((name) => values.only === undefined || values.only.split(',').includes(name));
  const paths = {
    send: (telemetry: Telemetry) => () => sendLoop(telemetry),
    consume: (telemetry: Telemetry) => {
      const chain = consumeChain(telemetry);
      return () => timed(() => chain(incoming, ctx));
    },
  };
  const results: Record<string, number[]> = {};
  const runs = Object.entries(paths).flatMap(([path, make]) => names.map((name) => ({ key: `${path} ${name}`, run: make(variants[name] as Telemetry) })));
  for (const { run } of runs) await run();
  for (let round = 0; round < Number(values.rounds); round += 1) {
    // A different order each round, so that no variant always follows the same one.
    const order = runs.map((_, index) => runs[(index + round) % runs.length] as (typeof runs)[number]);
    for (const { key, run } of order) (results[key] ??= []).push(await microseconds(run));
  }
  console.log(`${values.sdk ? 'SDK with no-op exporters' : 'API, no SDK'}; parts: ${values.parts}; ${values.rounds} rounds of ${messagesPerRound} messages; CPU µs per message (median, min)`);
  for (const [path] of Object.entries(paths)) {
    const off = results[`${path} off`] === undefined ? undefined : median(results[`${path} off`] as number[]);
    for (const name of names) {
      const all = results[`${path} ${name}`] as number[];
      const value = median(all);
      const added = off === undefined || name === 'off' ? '' : `  (+${(value - off).toFixed(3)} over off)`;
      console.log(`${path.padEnd(8)} ${name.padEnd(5)} ${value.toFixed(3)} ${Math.min(...all).toFixed(3)}${added}`);
    }
  }
}

await main();
