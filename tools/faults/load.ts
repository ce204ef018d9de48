import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMessaging, PublishError, type Logger, type Messaging } from '../../entry/index.js';
import type { Ledger } from './ledger.js';
import type { Timeline, TestMessage } from './timeline.js';
import type { FaultTarget } from './types.js';

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
  /** What each handling does before it records the message (a slow handler, say); `messageId` is the transport's (`ctx.messageId`). */
  readonly work?: (message: TestMessage, messageId: string | undefined) => Promise<void>;
  /** The test message in a handled payload (default: the payload itself; an outbox event carries it as `data`). */
  readonly decode?: (payload: unknown) => TestMessage;
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
      async function handle(payload: unknown, ctx) {
        const message = options.decode === undefined ? (payload as TestMessage) : options.decode(payload);
        await options.work?.(message, ctx.messageId);
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
