import { randomBytes } from 'node:crypto';
import { createMessaging, deadLetterHeaders, silentLogger, type IncomingMessage, type Messaging } from '../../../entry/index.js';
import { createLedger, type Ledger } from '../ledger.js';
import type { FaultTarget, Scenario } from '../types.js';

/**
 * Scenario 5: a poison message (its handler always throws) is tried maxRetries + 1 times, then
 * dead-lettered with its error, while the messages behind it keep flowing.
 *
 * - concurrency 2: the poison holds one slot through its retries; the others pass it. On Kafka
 *   a partition is handled in order, so the messages sharing the poison's partition wait for it
 *   (they carry distinct keys and spread over the partitions). The others should pass, but
 *   kafkajs fetches again only once every batch of its previous fetch was handled: those that
 *   arrive after the poison was fetched wait too. This is reported, not failed.
 * - concurrency 1, one key (one Kafka partition): everything behind the poison waits for its
 *   retries; the delay is measured.
 *
 * The dead letter is read from `<topic>.dlq` with a raw subscription (target.connect().subscribe)
 * opened before anything is sent; its eventwire-error and eventwire-attempts headers are checked.
 */
export const poison: Scenario = {
  name: 'poison',
  title: 'Poison message: maxRetries + 1 attempts, dead-lettered with its error; the others keep flowing',
  brokers: ['memory', 'redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const ledger = createLedger();
    const notes: string[] = [];
    let ok = true;
    try {
      const parallel = await runPoison(target, ledger, { concurrency: 2, goods: quick ? 10 : 50, keys: 'distinct' });
      const window = MAX_RETRIES * RETRY_DELAY_MS;
      notes.push(
        `concurrency 2: poison tried ${parallel.attempts} time(s) (expected ${MAX_RETRIES + 1}), dead-lettered ${parallel.deadLetterMs} ms after it was sent ` +
          `with ${deadLetterHeaders.attempts}=${parallel.headers.attempts} and ${deadLetterHeaders.error}="${parallel.headers.error}"; ` +
          `${parallel.passed} of ${parallel.goods} messages behind it handled before its dead letter, slowest ${parallel.slowestMs} ms (retry window ${window} ms)` +
          (target.broker === 'kafka'
            ? `; Kafka: ${parallel.goods - parallel.otherPartitions.count} shared its partition and waited, in order; ` +
              `of the ${parallel.otherPartitions.count} on other partitions ${parallel.otherPartitions.passed} passed it ` +
              '(kafkajs fetches again only once every batch of the previous fetch was handled, so a retrying message also holds back ' +
              'messages of other partitions that arrive after it, on a single-broker cluster)'
            : ''),
      );
      ok &&= parallel.checks;
      // Everywhere but Kafka every message behind the poison must pass it. On Kafka those on its
      // partition must wait (order), and kafkajs's fetch loop holds back the others (see the note).
      ok &&= target.broker === 'kafka' ? parallel.passed === parallel.otherPartitions.passed : parallel.passed === parallel.goods;

      const serial = await runPoison(target, ledger, { concurrency: 1, goods: quick ? 5 : 20, keys: 'one' });
      notes.push(
        `concurrency 1 (in order): poison tried ${serial.attempts} time(s); the message right behind it waited ${serial.firstGoodWaitMs} ms ` +
          `after the poison's first attempt (retry window ${window} ms), the last one ${serial.slowestMs} ms after its send`,
      );
      ok &&= serial.checks && serial.firstGoodWaitMs >= window;
      return ledger.result(poison.name, target.broker, { recoveryMs: serial.firstGoodWaitMs, notes, ok });
    } catch (error) {
      notes.push(`failed: ${error instanceof Error ? error.message : String(error)}`);
      return ledger.result(poison.name, target.broker, { recoveryMs: null, notes, ok: false });
    }
  },
};

const MAX_RETRIES = 2;
const RETRY_DELAY_MS = 500;
const SETTLE_MS = 60_000;

/** A dead letter read from the DLQ, with the time it arrived. */
export interface DeadLetter {
  readonly message: IncomingMessage;
  readonly at: number;
}

/**
 * A raw subscription to a dead-letter topic on its own connection, opened before anything is
 * dead-lettered (a new group starts at the end of the topic). Each dead letter's
 * `fault-id` header goes into the ledger.
 *
 * @example
 * const dlq = await readDeadLetters(target, `${topic}.dlq`, ledger); … await dlq.close();
 */
export async function readDeadLetters(target: FaultTarget, topic: string, ledger: Ledger) {
  const broker = target.connect();
  const controller = new AbortController();
  const letters: DeadLetter[] = [];
  let arrived = (): void => {};
  const subscription = await broker.subscribe(
    { groupId: `fault-dlq-reader-${randomBytes(4).toString('hex')}`, topics: [topic], concurrency: 8, signal: controller.signal },
    async (message) => {
      letters.push({ message, at: Date.now() });
      const id = message.headers['fault-id'];
      if (id !== undefined) ledger.deadLettered(id);
      arrived();
    },
  );
  return {
    letters,
    /** Resolves with the dead letter whose `fault-id` header is `id`. */
    waitFor(id: string, ms: number): Promise<DeadLetter> {
      const find = (): DeadLetter | undefined => letters.find((letter) => letter.message.headers['fault-id'] === id);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no dead letter for ${id} on ${topic} within ${ms} ms (${letters.length} others)`)), ms);
        arrived = () => {
          const found = find();
          if (found !== undefined) {
            clearTimeout(timer);
            resolve(found);
          }
        };
        arrived();
      });
    },
    async close(): Promise<void> {
      controller.abort();
      await subscription.closed.catch(() => {});
      await broker.close();
    },
  };
}

/** A consumer instance on its own connection, for the in-process scenarios. */
export function consumerInstance(target: FaultTarget, tuning: Record<string, unknown> = {}): Messaging {
  return createMessaging({ broker: target.connect({ tuning }), source: 'eventwire-faults', logger: silentLogger });
}

async function runPoison(target: FaultTarget, ledger: Ledger, options: { concurrency: number; goods: number; keys: 'distinct' | 'one' }) {
  const suffix = randomBytes(4).toString('hex');
  const topic = `fault-poison-c${options.concurrency}-${suffix}`;
  const messaging = consumerInstance(target);
  const dlq = await readDeadLetters(target, `${topic}.dlq`, ledger);
  const poisonId = `poison-${suffix}`;
  let attempts = 0;
  let firstAttemptAt = Number.NaN;
  const handledAt = new Map<string, number>();
  const sentAt = new Map<string, number>();
  const partitionOf = new Map<string, string>();
  // When the consumer's dead-letter publish was acknowledged: the poison's handling ends there,
  // and on Kafka its partition moves on. The DLQ reader receives the letter a fetch later.
  let deadLetteredAt: number | undefined;
  messaging.onPublished((published) => {
    if (published === `${topic}.dlq`) deadLetteredAt ??= Date.now();
  });
  try {
    const consumer = messaging.messageHandler(
      { topic, groupId: `fault-poison-${suffix}`, concurrency: options.concurrency, maxRetries: MAX_RETRIES, retryDelayMs: RETRY_DELAY_MS },
      async function poisonOrNot(message, ctx) {
        const { id } = message as { id: string };
        // Kafka ids are `partition:offset`.
        partitionOf.set(id, ctx.messageId.split(':')[0] ?? '');
        if (id === poisonId) {
          attempts += 1;
          if (attempts === 1) firstAttemptAt = Date.now();
          throw new Error(`poison pill ${id} (attempt ${attempts})`);
        }
        handledAt.set(id, Date.now());
        ledger.handled(id);
      },
    );
    await consumer.start();
    const producer = messaging.getProducer();
    const send = async (id: string, key: string): Promise<void> => {
      ledger.sent(id);
      sentAt.set(id, Date.now());
      await producer.send(topic, { id }, { headers: { 'fault-id': id }, key });
      ledger.acknowledged(id);
    };
    // One key for all: one Kafka partition, in order. Distinct keys: spread over the partitions.
    const keyOf = (id: string): string => (options.keys === 'one' ? `lane-${suffix}` : id);
    await send(poisonId, keyOf(poisonId));
    const goods = Array.from({ length: options.goods }, (_, index) => `good-${suffix}-${index}`);
    for (const id of goods) await send(id, keyOf(id));
    await ledger.settled(SETTLE_MS);
    const letter = await dlq.waitFor(poisonId, SETTLE_MS);
    const headers = { attempts: letter.message.headers[deadLetterHeaders.attempts] ?? '', error: letter.message.headers[deadLetterHeaders.error] ?? '' };
    const latency = goods.map((id) => (handledAt.get(id) ?? Number.NaN) - (sentAt.get(id) ?? Number.NaN));
    const firstGood = goods[0] === undefined ? Number.NaN : (handledAt.get(goods[0]) ?? Number.NaN);
    const deadLettered = deadLetteredAt ?? letter.at;
    const passed = (ids: string[]): number => ids.filter((id) => (handledAt.get(id) ?? Number.POSITIVE_INFINITY) < deadLettered).length;
    const elsewhere = goods.filter((id) => partitionOf.get(id) !== partitionOf.get(poisonId));
    return {
      attempts,
      headers,
      goods: goods.length,
      deadLetterMs: deadLettered - (sentAt.get(poisonId) ?? Number.NaN),
      passed: passed(goods),
      /** Kafka: messages on other partitions than the poison's, and how many of them passed it. */
      otherPartitions: { count: elsewhere.length, passed: passed(elsewhere) },
      slowestMs: Math.max(...latency),
      firstGoodWaitMs: firstGood - firstAttemptAt,
      checks:
        attempts === MAX_RETRIES + 1 &&
        headers.attempts === String(MAX_RETRIES + 1) &&
        headers.error.includes(`poison pill ${poisonId}`) &&
        letter.message.headers[deadLetterHeaders.reason] === 'handler-error' &&
        letter.message.value.toString() === JSON.stringify({ id: poisonId }),
    };
  } finally {
    await messaging.close({ timeoutMs: 1_000 }).catch(() => {});
    await dlq.close().catch(() => {});
  }
}
