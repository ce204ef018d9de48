import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMessaging, PublishError, type Logger, type Messaging } from '../../../entry/index.js';
import { deferred } from '../../../lib/waiting.js';
import { createLedger, type Ledger } from '../ledger.js';
import { reachable } from '../../../test/support/probe.js';
import type { FaultTarget, Scenario } from '../types.js';

/**
 * Scenario 1: the broker restarts twice under load. 20 publishers send N messages (10,000;
 * quick 1,000) through one producer connection while a group of 3 consumers (one connection
 * each) handles them; the broker is restarted once a third of the messages were acknowledged
 * and again at half. A rejected send is retried with the same id until acknowledged, as a
 * caller of `send()` would. At the end every acknowledged message must have been handled (or
 * dead-lettered). Recovery: from the moment the broker's port accepts connections again to the
 * next acknowledged send, and to the next handled message that was sent after that moment.
 *
 * The helpers below (publishers, consumer group, timeline, recording logger) are shared with
 * the other scenarios of this folder.
 */
export const brokerRestart: Scenario = {
  name: 'broker-restart',
  title: 'Broker restarted twice while 20 publishers send and 3 consumers handle',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const restart = target.restart?.bind(target);
    if (restart === undefined) throw new Error(`The ${target.broker} target cannot restart.`);
    const total = quick ? 1_000 : 10_000;
    const id = randomUUID().slice(0, 8);
    const topic = `faults-restart-${id}`;
    const ledger = createLedger();
    const timeline = createTimeline();
    const log = recordingLogger();
    const publishTimeoutMs = 5_000;
    const group = await startGroup({ target, members: 3, topic, groupId: `faults-restart-${id}`, ledger, timeline, logger: log, publishTimeoutMs });
    const producer = createMessaging({ broker: target.connect({ tuning: { logger: log } }), source: 'eventwire-faults', logger: log, publishTimeoutMs });
    // Both restarts must land inside the traffic, however long the broker takes to stop and to
    // start: some messages wait for the port to close (so that sends hit the outage) and some for
    // the restart to be over (so that traffic follows it). Messages up to 40% flow freely, so
    // sends are in flight when the first restart begins at a third.
    const outages = [{ down: deferred(), ready: deferred() }, { down: deferred(), ready: deferred() }] as const;
    const gates: [number, Promise<void>][] = [
      [0.8, outages[1].ready.promise],
      [0.65, outages[1].down.promise],
      [0.5, outages[0].ready.promise],
      [0.4, outages[0].down.promise],
    ];
    const hold = (seq: number): Promise<void> | undefined => gates.find(([fraction]) => seq >= total * fraction)?.[1];
    const publishers = startPublishers({
      hold,
      send: (message) => producer.getProducer().send(topic, message, { key: `k${message.seq % 30}` }),
      ledger,
      timeline,
      count: total,
      concurrency: 20,
      ratePerSecond: quick ? 200 : 1_000,
      retryDelayMs: 250,
      giveUpAfterMs: 300_000,
    });

    const notes: string[] = [];
    const restarts: Restart[] = [];
    let failure: string | undefined;
    try {
      for (const [fraction, outage] of [[1 / 3, outages[0]], [1 / 2, outages[1]]] as const) {
        await timeline.until(() => ledger.counts.acknowledged >= Math.floor(total * fraction), 300_000, `${Math.round(fraction * 100)}% of the sends to be acknowledged`);
        restarts.push(await watchRestart(target, restart, outage.down.resolve));
        outage.down.resolve();
        outage.ready.resolve();
      }
      await within(publishers.done, 300_000, 'every send to be acknowledged');
      // Generous: a Redis entry whose XACK was lost with the connection waits claimIdleMs (30 s)
      // before XAUTOCLAIM hands it out again; Kafka rebalances after its session timeout.
      await ledger.settled(180_000);
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      publishers.stop();
      for (const { down, ready } of outages) {
        down.resolve();
        ready.resolve();
      }
    }
    await group.stop();
    await producer.close({ timeoutMs: 1_000 });

    const recoveries = restarts.map(({ back }) => ({ send: timeline.firstAckAfter(back), handle: timeline.firstFreshHandledAfter(back) }));
    restarts.forEach(({ at, down, back, ready }, index) => {
      const { send, handle } = recoveries[index] ?? {};
      notes.push(
        `restart ${index + 1}: port refused connections from +${down - at} to +${back - at} ms (restart() returned at +${ready - at} ms); ` +
          `after it reopened: next acknowledged send ${ms(send)}, next handled fresh message ${ms(handle)}`,
      );
    });
    notes.push(...publishers.describe(), ...log.describe());
    const unrecovered = recoveries.some(({ send, handle }) => send === undefined || handle === undefined);
    if (failure !== undefined) notes.push(`failed: ${failure}`, ...unhandledNote(timeline, topic));
    if (restarts.length < 2) notes.push(`only ${restarts.length} restart(s) happened`);
    const recoveryMs = recoveries.length === 0 || unrecovered ? null : Math.max(...recoveries.flatMap(({ send, handle }) => [send ?? 0, handle ?? 0]));
    return ledger.result(brokerRestart.name, target.broker, {
      recoveryMs,
      notes,
      ok: failure === undefined && restarts.length === 2 && !unrecovered && publishers.untyped === 0 && publishers.unacknowledged === 0,
    });
  },
};

const ms = (value: number | undefined): string => (value === undefined ? 'never' : `${value} ms`);

/** Names what is missing, to look for it on the broker. */
export function unhandledNote(timeline: Timeline, topic: string): string[] {
  const missing = timeline.unhandled();
  if (missing.length === 0) return [];
  return [`topic ${topic}: ${missing.length} acknowledged but unhandled, e.g. ${missing.slice(0, 5).join(', ')}`];
}

export interface Restart {
  /** When the restart began. */
  readonly at: number;
  /** When the broker's port first refused connections (probed every 50 ms). */
  readonly down: number;
  /** When the broker's port accepted connections again (probed every 50 ms). */
  readonly back: number;
  /** When restart() resolved: the instance answered its own readiness check. */
  readonly ready: number;
}

/**
 * Restarts the broker, calls `onDown` once its port refuses connections and notes when it
 * accepts them again: recovery is measured from there, since restart()'s own readiness check
 * (rabbitmqctl await_startup, Kafka's admin round trip) can end seconds after clients got through.
 */
export async function watchRestart(target: FaultTarget, restart: () => Promise<void>, onDown: () => void): Promise<Restart> {
  const port = target.port;
  const at = Date.now();
  let done = false;
  let down: number | undefined;
  let back: number | undefined;
  const probe = (async () => {
    while (!done && back === undefined && port !== undefined) {
      if (!(await reachable(port))) {
        if (down === undefined) onDown();
        down ??= Date.now();
      } else if (down !== undefined) back = Date.now();
      await sleep(50);
    }
  })();
  try {
    await restart();
  } finally {
    done = true;
    await probe;
  }
  const ready = Date.now();
  return { at, down: down ?? at, back: back ?? ready, ready };
}

// ---------------------------------------------------------------------------- shared helpers ---

/** `promise`, or a rejection naming what was awaited after `ms`. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What each test message carries: its ledger id and its sequence number. */
export interface TestMessage {
  readonly id: string;
  readonly seq: number;
}

/**
 * When things happened: send attempts, acknowledgements, handled messages. Waiting on it is
 * event-based: `until` re-checks its condition on every recorded event.
 */
export interface Timeline {
  attempt(id: string): void;
  acked(id: string): void;
  handled(id: string): void;
  /** Acknowledged ids not handled yet (dead letters aside), for the notes of a failed run. */
  unhandled(): string[];
  /** Re-checks waiters (for conditions on state the timeline does not record). */
  poke(): void;
  /** Milliseconds from `t` to the first acknowledgement at or after it. */
  firstAckAfter(t: number): number | undefined;
  /** Milliseconds from `t` to the first handled message whose (last) send attempt began at or after `t`. */
  firstFreshHandledAfter(t: number): number | undefined;
  /** Resolves once `condition()` holds, re-checked on every event; rejects after `ms`. */
  until(condition: () => boolean, ms: number, what: string): Promise<void>;
}

/**
 * Creates a {@link Timeline}.
 *
 * @example
 * const timeline = createTimeline(); await timeline.until(() => ledger.counts.acknowledged > 10, 5000, '10 acks');
 */
export function createTimeline(): Timeline {
  const attempts = new Map<string, number>();
  const ackedIds = new Set<string>();
  const handledIds = new Set<string>();
  const acks: number[] = [];
  const handles: { at: number; attempt: number }[] = [];
  const watchers = new Set<() => void>();
  const poke = (): void => {
    for (const watcher of [...watchers]) watcher();
  };
  return {
    attempt(id) {
      attempts.set(id, Date.now());
    },
    acked(id) {
      ackedIds.add(id);
      acks.push(Date.now());
      poke();
    },
    handled(id) {
      handledIds.add(id);
      handles.push({ at: Date.now(), attempt: attempts.get(id) ?? 0 });
      poke();
    },
    unhandled: () => [...ackedIds].filter((id) => !handledIds.has(id)),
    poke,
    firstAckAfter(t) {
      const at = acks.find((time) => time >= t);
      return at === undefined ? undefined : at - t;
    },
    firstFreshHandledAfter(t) {
      const at = handles.find((handle) => handle.attempt >= t && handle.at >= t)?.at;
      return at === undefined ? undefined : at - t;
    },
    until(condition, ms, what) {
      if (condition()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`Timed out after ${ms} ms waiting for ${what}`));
        }, ms);
        const check = (): void => {
          if (!condition()) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
      });
    },
  };
}

/** A logger that keeps counts and the first lines of each level, for the report's notes. */
export interface RecordingLogger extends Logger {
  readonly lines: { readonly level: string; readonly message: string; readonly fields?: Record<string, unknown> }[];
  count(level: 'warn' | 'error', pattern?: RegExp): number;
  describe(): string[];
}

/**
 * Creates a {@link RecordingLogger}; `FAULTS_VERBOSE=1` also prints warnings and errors.
 *
 * @example
 * const log = recordingLogger(); createMessaging({ broker, logger: log });
 */
export function recordingLogger(): RecordingLogger {
  const lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const verbose = process.env.FAULTS_VERBOSE === '1';
  const at = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    if (level === 'debug') return;
    if (lines.length < 50_000) lines.push(fields === undefined ? { level, message } : { level, message, fields });
    if (verbose && level !== 'info') process.stderr.write(`  [${level}] ${message} ${describeError(fields?.error)}\n`);
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    count: (level, pattern) => lines.filter((line) => line.level === level && (pattern === undefined || pattern.test(line.message))).length,
    describe() {
      const out: string[] = [];
      for (const level of ['warn', 'error']) {
        const mine = lines.filter((line) => line.level === level);
        if (mine.length === 0) continue;
        const kinds = new Map<string, number>();
        for (const line of mine) kinds.set(line.message, (kinds.get(line.message) ?? 0) + 1);
        const top = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([message, n]) => `${n}× "${message}"`);
        out.push(`logged ${mine.length} ${level === 'warn' ? 'warnings' : 'errors'}: ${top.join('; ')}`);
      }
      return out;
    },
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? `(${error.name}: ${error.message.slice(0, 200)})` : '';
}

/** Publishers that retry rejected sends; see {@link startPublishers}. */
export interface Publishers {
  /** Resolves when every started message was acknowledged (or given up). Never rejects. */
  readonly done: Promise<void>;
  /** Stops starting new messages; those in progress keep retrying until acknowledged. */
  stop(): void;
  readonly started: number;
  readonly retries: number;
  /** Rejections whose error is not a PublishError (or PublishTimeoutError). */
  readonly untyped: number;
  /** Messages given up after `giveUpAfterMs` without an acknowledgement. */
  readonly unacknowledged: number;
  /** Longest time a rejected send() took to reject, and when that attempt started. */
  readonly slowestRejection: { readonly ms: number; readonly startedAt: number } | undefined;
  /** Rejections of attempts that started in [from, to). */
  rejectionsBetween(from: number, to: number): { readonly count: number; readonly maxMs: number };
  describe(): string[];
}

/**
 * Sends `count` messages (Infinity: until `stop()`) from `concurrency` loops, at most
 * `ratePerSecond` in total. Each message has its own id; a rejected send waits `retryDelayMs`
 * and is sent again with the same id, so a first attempt that was stored after all shows up
 * as a duplicate, never as a loss.
 *
 * @example
 * const publishers = startPublishers({ send: (m) => producer.send(topic, m), ledger, timeline, count: 1000, concurrency: 20 });
 */
export function startPublishers(options: {
  readonly send: (message: TestMessage) => Promise<unknown>;
  readonly ledger: Ledger;
  readonly timeline: Timeline;
  readonly count: number;
  readonly concurrency: number;
  readonly ratePerSecond?: number;
  /** A message that must wait before it is first sent: a promise to wait for, or undefined. */
  readonly hold?: (seq: number) => Promise<void> | undefined;
  readonly retryDelayMs?: number;
  readonly giveUpAfterMs?: number;
}): Publishers {
  const { send, ledger, timeline, count, concurrency, ratePerSecond, retryDelayMs = 250, giveUpAfterMs = 300_000 } = options;
  const prefix = randomUUID().slice(0, 8);
  let nextDue = Date.now();
  const rejections: { startedAt: number; ms: number; kind: string }[] = [];
  const kinds = new Map<string, number>();
  let next = 0;
  let stopped = false;
  let retries = 0;
  let untyped = 0;
  let unacknowledged = 0;

  const loop = async (): Promise<void> => {
    while (!stopped && next < count) {
      const seq = next++;
      await options.hold?.(seq);
      if (ratePerSecond !== undefined) {
        // No catching up after an outage: the rate stays the same, so traffic goes on after it.
        const due = Math.max(nextDue, Date.now());
        nextDue = due + 1000 / ratePerSecond;
        if (due > Date.now()) await sleep(due - Date.now());
      }
      const message: TestMessage = { id: `${prefix}-${seq}`, seq };
      const first = Date.now();
      for (;;) {
        ledger.sent(message.id);
        timeline.attempt(message.id);
        const startedAt = Date.now();
        try {
          await send(message);
          ledger.acknowledged(message.id);
          timeline.acked(message.id);
          break;
        } catch (error) {
          const kind = error instanceof Error ? (error as { code?: string }).code ?? error.name : typeof error;
          kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
          if (!(error instanceof PublishError)) untyped += 1;
          rejections.push({ startedAt, ms: Date.now() - startedAt, kind });
          if (Date.now() - first > giveUpAfterMs) {
            unacknowledged += 1;
            break;
          }
          retries += 1;
          await sleep(retryDelayMs);
        }
      }
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, loop)).then(() => {});

  return {
    done,
    stop: () => void (stopped = true),
    get started() {
      return next;
    },
    get retries() {
      return retries;
    },
    get untyped() {
      return untyped;
    },
    get unacknowledged() {
      return unacknowledged;
    },
    get slowestRejection() {
      const slowest = rejections.reduce<(typeof rejections)[number] | undefined>((max, r) => (max === undefined || r.ms > max.ms ? r : max), undefined);
      return slowest === undefined ? undefined : { ms: slowest.ms, startedAt: slowest.startedAt };
    },
    rejectionsBetween(from, to) {
      const inside = rejections.filter((r) => r.startedAt >= from && r.startedAt < to);
      return { count: inside.length, maxMs: inside.reduce((max, r) => Math.max(max, r.ms), 0) };
    },
    describe() {
      if (rejections.length === 0) return ['no send() rejected'];
      const byKind = [...kinds].map(([kind, n]) => `${n}× ${kind}`).join(', ');
      const slowest = rejections.reduce((max, r) => Math.max(max, r.ms), 0);
      const lines = [`send() rejected ${rejections.length} times (${byKind}), slowest rejection ${slowest} ms; ${retries} retries`];
      if (untyped > 0) lines.push(`${untyped} rejections were not PublishError/PublishTimeoutError`);
      if (unacknowledged > 0) lines.push(`${unacknowledged} messages never acknowledged (given up after ${giveUpAfterMs} ms)`);
      return lines;
    },
  };
}

/** A consumer group of several members, each on its own connection ("process"). */
export interface Group {
  readonly members: readonly Messaging[];
  stop(): Promise<void>;
}

/**
 * Starts `members` consumers of `topic` in group `groupId`, each on its own messaging instance
 * and connection (through `port` when given). Each handled message is recorded in the ledger
 * and the timeline; each acknowledged dead letter (on `<topic>.dlq`) as dead-lettered.
 *
 * @example
 * const group = await startGroup({ target, members: 3, topic, groupId, ledger, timeline, logger });
 */
export async function startGroup(options: {
  readonly target: FaultTarget;
  readonly members: number;
  readonly topic: string;
  readonly groupId: string;
  readonly ledger: Ledger;
  readonly timeline: Timeline;
  readonly logger: Logger;
  readonly port?: number | undefined;
  readonly concurrency?: number;
  readonly publishTimeoutMs?: number;
  readonly tuning?: Readonly<Record<string, unknown>>;
  /** What each handling does before it records the message (a slow handler, say). */
  readonly work?: (message: TestMessage) => Promise<void>;
}): Promise<Group> {
  const { target, topic, groupId, ledger, timeline, logger } = options;
  const members: Messaging[] = [];
  for (let index = 0; index < options.members; index += 1) {
    const broker = target.connect({ ...(options.port === undefined ? {} : { port: options.port }), tuning: { logger, ...options.tuning } });
    const messaging = createMessaging({ broker, source: 'eventwire-faults', logger, publishTimeoutMs: options.publishTimeoutMs ?? 5_000 });
    messaging.onPublished((published, messages) => {
      if (published !== `${topic}.dlq`) return;
      for (const message of messages) ledger.deadLettered((JSON.parse(message.value.toString('utf8')) as TestMessage).id);
      timeline.poke();
    });
    const consumer = messaging.messageHandler(
      { topic, groupId, concurrency: options.concurrency ?? 5, retryDelayMs: 200 },
      async function handle(payload: unknown) {
        const message = payload as TestMessage;
        await options.work?.(message);
        const { id } = message;
        ledger.handled(id);
        timeline.handled(id);
      },
    );
    members.push(messaging);
    await consumer.start();
  }
  return {
    members,
    async stop() {
      await Promise.all(members.map((messaging) => messaging.close({ timeoutMs: 1_000 })));
    },
  };
}
