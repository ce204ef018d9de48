import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import onFinished from 'on-finished';

/**
 * What detecting the end of an HTTP response costs per request, in CPU time, for the ways of
 * keeping the request's async context that lib/response-end.ts could use. Each variant runs in a
 * process of its own (so that one does not deoptimise another), several times, alternating; the
 * cost is the variant's time per response minus that of `none` (the same response, nobody
 * listening). Every listener checks that it ran once, in the request's AsyncLocalStorage store.
 *
 *   npx tsx bench/response-end-probe.ts [--rounds 5] [--responses 200000]
 *
 * Run it with each Node.js version to compare (scripts/node-versions.sh bin 24).
 */

type Listen = (res: ServerResponse, listener: () => void) => void;

/** A `finish` or `close`, whichever comes first; an ended response on the next turn. */
function onEvents(res: ServerResponse, run: () => void): void {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    run();
  };
  if (res.closed || res.writableFinished) setImmediate(once);
  else {
    res.once('finish', once);
    res.once('close', once);
  }
}

const variants: Record<string, Listen> = {
  none: () => {},
  'on-finished': (res, listener) => void onFinished(res, () => listener()),
  'events, no context (incorrect)': (res, listener) => onEvents(res, listener),
  'events + new AsyncResource': (res, listener) => {
    const scope = new AsyncResource('eventwire.response-end');
    onEvents(res, () => scope.runInAsyncScope(listener));
  },
  'events + AsyncResource.bind': (res, listener) => onEvents(res, AsyncResource.bind(listener)),
  'events + AsyncLocalStorage.snapshot': (res, listener) => {
    const snapshot = AsyncLocalStorage.snapshot();
    onEvents(res, () => snapshot(listener));
  },
};

/** A socket that swallows what the response writes. */
function sinkSocket(): Socket {
  const duplex = new Duplex({ write: (_chunk, _encoding, callback) => callback(), read: () => {} });
  return duplex as unknown as Socket;
}

async function measure(name: string, responses: number): Promise<number> {
  const listen = variants[name];
  if (listen === undefined) throw new Error(`unknown variant ${name}`);
  const storage = new AsyncLocalStorage<number>();
  const socket = sinkSocket();
  let calls = 0;
  let wrong = 0;
  const one = (index: number): Promise<void> =>
    new Promise((resolve) => {
      const res = new ServerResponse(new IncomingMessage(socket));
      res.assignSocket(socket);
      storage.run(index, () => {
        listen(res, () => {
          calls += 1;
          if (storage.getStore() !== index) wrong += 1;
        });
      });
      res.on('finish', () => {
        // What node:http's server does once a response finished on a kept-alive socket.
        res.detachSocket(socket);
        res.emit('close');
        resolve();
      });
      res.end('ok');
    });
  for (let index = 0; index < 20_000; index += 1) await one(index);
  calls = 0;
  const cpu = process.cpuUsage();
  for (let index = 0; index < responses; index += 1) await one(index);
  await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(cpu);
  if (name !== 'none' && calls !== responses) throw new Error(`${name}: ${calls} calls for ${responses} responses`);
  if (name !== 'none' && !name.includes('incorrect') && wrong > 0) throw new Error(`${name}: ${wrong} listeners outside the request's context`);
  return ((used.user + used.system) * 1000) / responses;
}

const argv = process.argv.slice(2);
const option = (flag: string, fallback: number): number => {
  const at = argv.indexOf(flag);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};
const child = argv.indexOf('--child');
if (child >= 0) {
  console.log(JSON.stringify(await measure(argv[child + 1] ?? '', option('--responses', 200_000))));
} else {
  const rounds = option('--rounds', 5);
  const names = Object.keys(variants);
  const nanos: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
  const self = fileURLToPath(import.meta.url);
  for (let round = 0; round < rounds; round += 1) {
    for (const name of round % 2 === 0 ? names : names.toReversed()) {
      const run = spawnSync(process.execPath, [...process.execArgv, self, '--child', name, '--responses', String(option('--responses', 200_000))], { encoding: 'utf8' });
      if (run.status !== 0) throw new Error(run.stderr);
      nanos[name]?.push(Number(run.stdout.trim()));
    }
  }
  const median = (list: readonly number[]): number => list.toSorted((a, b) => a - b)[Math.floor(list.length / 2)] ?? NaN;
  const base = median(nanos.none ?? []);
  console.log(`node ${process.version}, ${rounds} rounds; CPU ns per response (median), and above \`none\`:`);
  for (const name of names) {
    const list = nanos[name] ?? [];
    console.log(`  ${name.padEnd(38)} ${median(list).toFixed(0).padStart(6)}  +${(median(list) - base).toFixed(0).padStart(5)}   [${list.map((value) => value.toFixed(0)).join(' ')}]`);
  }
}
