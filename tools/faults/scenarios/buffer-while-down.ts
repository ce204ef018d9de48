import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventMiddleware } from '../../../adapters/express.js';
import { createMessaging, type Broker, type Messaging } from '../../../entry/index.js';
import { loadPeer } from '../../../lib/config/load-peer.js';
import { createLedger, type Ledger } from '../ledger.js';
import { createProxy, type TcpProxy } from '../../../test/support/proxy.js';
import type { FaultTarget, Scenario } from '../types.js';
import { recordingLogger, type RecordingLogger } from '../recording-logger.js';
import { createTimeline, type Timeline } from '../timeline.js';

const publishTimeoutMs = 2_000;
/** Every buffered event must be handled within this after the broker is back. */
const drainBoundMs = 60_000;

/**
 * Scenario 8: an Express app publishes with `eventMiddleware` (fire-and-forget) while its
 * broker is unreachable: the app's connection goes through a TCP proxy that is blackholed (a
 * silent network; the memory broker, which has no network, gets a switch that holds publishes
 * the same way). A consumer on its own, direct connection handles the events.
 *
 * - hold: no request waits on the broker while it is down: every response to the requests sent
 *   while down arrives before the proxy is restored, and none takes as long as publishTimeoutMs
 *   (a request that waited on the silent broker would take at least that: the broker answers
 *   nothing until the publish deadline fires). The latencies up and down are reported as
 *   figures, never compared: on a loaded machine they vary more than any margin that would
 *   still mean something. The events wait in the bounded buffer and are all handled once the
 *   proxy is restored.
 * - overflow: with maxBufferedEvents 20, 50 requests while down: 30 events are refused, counted
 *   in stats().eventsDropped and logged; the 20 held are handled after the restore.
 * - close: close() while still down reports what it could not send in eventsDropped and logs it.
 *
 * Ledger: an event counts as "acknowledged" when the broker acknowledged its background publish
 * (messaging.onPublished). Dropped events were never acknowledged, so they are not "lost" in the
 * ledger's sense; the scenario checks instead that every request's event is either
 * acknowledged or counted in eventsDropped. That is the fire-and-forget path's at-most-once gap:
 * the route has already answered, nobody can retry it, and a dropped event is only reported.
 * An acknowledgement that arrives after close() returned (its connection, torn down in the
 * background, delivered a held publish once the network was back) is for an event close() had
 * already reported dropped: a stray, noted, like dropped events that are handled anyway.
 */
export const bufferWhileDown: Scenario = {
  name: 'buffer-while-down',
  title: 'eventMiddleware keeps answering while the broker is down; buffer, overflow and close are accounted for',
  brokers: ['memory', 'redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const id = randomUUID().slice(0, 8);
    const topic = `faults-buffer-${id}`;
    const outage = await createOutage(target);
    const seen = new Set<string>();
    const consumer = createMessaging({ broker: target.connect({ tuning: { logger: log } }), source: 'eventwire-faults', logger: log, publishTimeoutMs });
    const handled = consumer.messageHandler({ topic, groupId: `faults-buffer-${id}`, concurrency: 10 }, async function handle(event: unknown) {
      const orderId = (event as { data: { id: string } }).data.id;
      seen.add(orderId);
      ledger.handled(orderId);
      timeline.handled(orderId);
    });
    const notes: string[] = [];
    let failure: string | undefined;
    let recoveryMs: number | null = null;
    const checks: [string, boolean][] = [];
    const apps: App[] = [];
    const app = async (maxBufferedEvents: number): Promise<App> => {
      const started = await startApp({ outage, topic, ledger, timeline, log, seen, maxBufferedEvents });
      apps.push(started);
      return started;
    };
    try {
      await handled.start();
      const requests = quick ? 200 : 2_000;
      const warmUp = 50;

      // hold: latency up, then down; events held, then handled after the restore.
      const hold = await app(10_000);
      await hold.load(warmUp); // JIT, connections: not measured
      const up = await hold.load(requests);
      // Acknowledged too: a consumer can read an event before its producer has the broker's
      // acknowledgement, and an event still unacknowledged at the outage stays buffered with those
      // sent while down.
      await timeline.until(
        () => hold.handled() === warmUp + requests && hold.acknowledged() === warmUp + requests,
        drainBoundMs,
        `the ${warmUp + requests} events sent while up to be acknowledged and handled`,
      );
      outage.down();
      const down = await hold.load(requests);
      // Read before the restore: every response above was sent while the broker was down, and
      // the broker acknowledged none of their events.
      const acknowledgedWhileDown = hold.acknowledged() - (warmUp + requests);
      const held = hold.messaging.stats().eventsBuffered;
      const restoredAt = Date.now();
      outage.up();
      await timeline.until(() => hold.acknowledged() === warmUp + 2 * requests, drainBoundMs, `the ${requests} events held while down to be published after the restore`);
      recoveryMs = Date.now() - restoredAt;
      await timeline.until(() => hold.handled() === warmUp + 2 * requests, drainBoundMs, `the ${requests} events held while down to be handled after the restore`);
      const handledMs = Date.now() - restoredAt;
      notes.push(
        `hold: latency up p50 ${up.p50} / p95 ${up.p95} / max ${up.max} ms, down p50 ${down.p50} / p95 ${down.p95} / max ${down.max} ms (${requests} requests each, 10 at a time; figures, not checked)`,
        `hold: all ${down.answered} requests sent while down answered before the restore, the slowest in ${down.max} ms (publishTimeoutMs ${publishTimeoutMs}); ${acknowledgedWhileDown} of their events acknowledged while down`,
        `hold: ${held} events buffered while down; all ${requests} published ${recoveryMs} ms and handled ${handledMs} ms after the restore`,
      );
      checks.push(
        ['every request sent while down answered while down', down.answered === requests && acknowledgedWhileDown === 0],
        ['no request waited on the broker (none took publishTimeoutMs)', down.max < publishTimeoutMs],
        ['every held event buffered', held === requests],
        ['hold: nothing dropped', hold.messaging.stats().eventsDropped === 0],
      );
      await hold.close();

      // overflow: 50 requests into a buffer of 20 while down.
      const overflow = await app(20);
      outage.down();
      const errorsBefore = log.count('error', /buffer is full/);
      await overflow.load(50);
      const dropped = overflow.messaging.stats().eventsDropped;
      const overflowLogged = log.count('error', /buffer is full/) - errorsBefore;
      outage.up();
      await timeline.until(() => overflow.handled() === 20 && overflow.accounted(), drainBoundMs, 'the 20 events the small buffer held to be acknowledged and handled');
      notes.push(`overflow: maxBufferedEvents 20, 50 requests while down: eventsDropped ${dropped}, ${overflowLogged} error line(s) logged, ${overflow.handled()} handled after the restore`);
      checks.push(['overflow counted', dropped === 30], ['overflow logged', overflowLogged >= 1], ['overflow: every event acknowledged or dropped', overflow.accounted()]);
      await overflow.close();

      // close while down: a running app (connected while up) whose broker went silent shuts down;
      // close() must not wait for the silent broker longer than its timeout, and must report
      // what it could not send.
      const closing = await app(10_000);
      await closing.load(10);
      await timeline.until(() => closing.handled() === 10 && closing.acknowledged() === 10, drainBoundMs, 'the 10 events sent while up to be acknowledged and handled');
      outage.down();
      await closing.load(30);
      const lostBefore = log.count('error', /lost at close/);
      const closeStarted = Date.now();
      await closing.close(1_000);
      const closeMs = Date.now() - closeStarted;
      const reported = closing.messaging.stats().eventsDropped;
      const closeLogged = log.count('error', /lost at close/) - lostBefore;
      outage.up();
      notes.push(`close while down: close({ timeoutMs: 1000 }) took ${closeMs} ms and reported eventsDropped ${reported} of the 30 sent while down, ${closeLogged} error line(s) logged`);
      checks.push(['close reports the unsent events', reported === 30], ['close logs the loss', closeLogged >= 1], ['close is bounded', closeMs < 10_000], ['close: every event acknowledged or dropped', closing.accounted()]);

      await ledger.settled(drainBoundMs);
      // Dropped events that reached the consumer anyway (their batch was stored, its ack lost).
      const strays = closing.handled() - 10 + overflow.handled() - 20;
      if (strays > 0) notes.push(`${strays} dropped event(s) were handled anyway (stored, but the acknowledgement came back too late or never)`);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
    }
    outage.up();
    await Promise.all(apps.map((started) => started.close(1_000)));
    await consumer.close({ timeoutMs: 1_000 });
    await outage.close();
    const late = apps.reduce((sum, started) => sum + started.lateAcknowledgements(), 0);
    if (late > 0) notes.push(`${late} event(s) close() reported dropped were acknowledged by the broker after close() returned (its connection, torn down in the background, delivered them once the network was back)`);

    const failed = checks.filter(([, passed]) => !passed).map(([name]) => name);
    if (failed.length > 0) notes.push(`failed checks: ${failed.join(', ')}`);
    if (failure !== undefined) notes.push(`failed: ${failure}`);
    notes.push(
      target.port === undefined ? 'memory: outage simulated by a switch that holds publish() like a blackhole (no network to cut)' : 'outage: the app\'s connection goes through a blackholed proxy',
      'at-most-once gap: fire-and-forget events have no acknowledgement the route could wait for; refused (buffer full) or abandoned (close) events are counted in eventsDropped and logged, never retried',
      ...log.describe(),
    );
    return ledger.result(bufferWhileDown.name, target.broker, { recoveryMs, notes, ok: failure === undefined && failed.length === 0 });
  },
};

/** A broker outage the scenario switches on and off, and the port the app connects through. */
interface Outage {
  /** Broker for the app: through the proxy, or the memory broker behind a switch. */
  connect(logger: RecordingLogger): Broker;
  down(): void;
  up(): void;
  close(): Promise<void>;
}

async function createOutage(target: FaultTarget): Promise<Outage> {
  if (target.port !== undefined) {
    const proxy: TcpProxy = await createProxy(target.port);
    return {
      connect: (logger) => target.connect({ port: proxy.port, tuning: { logger } }),
      down: () => proxy.blackhole(),
      up: () => proxy.restore(),
      close: () => proxy.close(),
    };
  }
  // The memory broker: publish() waits while "down", as over a silent network, until the
  // switch is turned back on or the caller's signal (publishTimeoutMs) aborts it.
  let waiting: (() => void)[] | undefined;
  return {
    connect(): Broker {
      const inner = target.connect();
      return {
        name: inner.name,
        capabilities: inner.capabilities,
        async publish(topic, messages, signal) {
          while (waiting !== undefined) {
            const queue = waiting;
            await new Promise<void>((resolve, reject) => {
              queue.push(resolve);
              signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
            });
          }
          return inner.publish(topic, messages, signal);
        },
        subscribe: (request, deliver) => inner.subscribe(request, deliver),
        close: () => inner.close(),
      };
    },
    down: () => void (waiting ??= []),
    up() {
      const queue = waiting ?? [];
      waiting = undefined;
      for (const release of queue) release();
    },
    close: async () => {},
  };
}

interface App {
  readonly messaging: Messaging;
  /** Sends `count` requests, 10 at a time; returns how many were answered 201 and latency percentiles in ms. */
  load(count: number): Promise<{ answered: number; p50: number; p95: number; max: number }>;
  /** How many of this app's events the broker acknowledged while the app was open. */
  acknowledged(): number;
  /** Acknowledgements that arrived after close() returned, for events it counted in eventsDropped. */
  lateAcknowledgements(): number;
  /** How many of this app's events were handled. */
  handled(): number;
  /** Whether every request's event was acknowledged (onPublished) or counted in eventsDropped. */
  accounted(): boolean;
  close(timeoutMs?: number): Promise<void>;
}

async function startApp(options: {
  readonly outage: Outage;
  readonly topic: string;
  readonly ledger: Ledger;
  readonly timeline: Timeline;
  readonly log: RecordingLogger;
  /** Ids the consumer handled. */
  readonly seen: ReadonlySet<string>;
  readonly maxBufferedEvents: number;
}): Promise<App> {
  const { outage, topic, ledger, timeline, log, seen } = options;
  const { default: express } = await loadPeer<{ default: typeof import('express') }>('express', 'fault scenario buffer-while-down');
  const messaging = createMessaging({ broker: outage.connect(log), source: 'eventwire-faults', logger: log, publishTimeoutMs, maxBufferedEvents: options.maxBufferedEvents });
  const mine = new Set<string>();
  const acknowledged = new Set<string>();
  const late = new Set<string>();
  let closed = false;
  messaging.onPublished((published, messages) => {
    if (published !== topic) return;
    for (const message of messages) {
      const orderId = (JSON.parse(message.value.toString('utf8')) as { data: { id: string } }).data.id;
      // close() returned having counted this event in eventsDropped: not an acknowledgement the
      // app was given, so not one the ledger may require to be handled.
      if (closed) late.add(orderId);
      else {
        acknowledged.add(orderId);
        ledger.acknowledged(orderId);
      }
    }
    timeline.poke();
  });
  const prefix = randomUUID().slice(0, 8);
  let next = 0;

  const app = express();
  app.post('/orders', eventMiddleware('order.created', { topic, keyField: 'id', messaging }), (_req, res) => {
    const orderId = `${prefix}-${next++}`;
    mine.add(orderId);
    ledger.sent(orderId);
    res.status(201).json({ id: orderId });
  });
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/orders`;

  return {
    messaging,
    async load(count) {
      const latencies: number[] = [];
      let sent = 0;
      const worker = async (): Promise<void> => {
        while (sent < count) {
          sent += 1;
          const start = performance.now();
          const response = await fetch(url, { method: 'POST' });
          await response.arrayBuffer();
          if (response.status !== 201) throw new Error(`POST /orders answered ${response.status}`);
          latencies.push(performance.now() - start);
        }
      };
      await Promise.all(Array.from({ length: 10 }, worker));
      latencies.sort((a, b) => a - b);
      const at = (q: number): number => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 10) / 10;
      return { answered: latencies.length, p50: at(0.5), p95: at(0.95), max: at(1) };
    },
    acknowledged: () => acknowledged.size,
    lateAcknowledgements: () => late.size,
    handled() {
      let count = 0;
      for (const orderId of mine) if (seen.has(orderId)) count += 1;
      return count;
    },
    accounted() {
      return acknowledged.size + messaging.stats().eventsDropped === mine.size;
    },
    async close(timeoutMs = 5_000) {
      // Both are no-ops the second time (server.close reports ERR_SERVER_NOT_RUNNING, ignored).
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await messaging.close({ timeoutMs });
      closed = true;
    },
  };
}
