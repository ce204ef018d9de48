import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { deadLetterHeaders, withSchema, type Consumer } from '../../../entry/index.js';
import { createLedger, type Ledger } from '../ledger.js';
import type { FaultTarget, Scenario } from '../types.js';
import { consumerInstance, readDeadLetters } from './poison.js';

/**
 * Scenario 6: malformed JSON and schema failures are dead-lettered at once, without retries,
 * and the consumer keeps running.
 *
 * Two consumers, each on its own topic, with maxRetries 3 and retryDelayMs 2000. "At once, no
 * retries" is checked by what the retry mechanism leaves behind: the dead letter's attempts
 * header is 1, stats().retried stays 0 and the handler never ran for them. The time from send to
 * dead letter is reported as a figure only: a loaded machine may take longer than one retry
 * delay without any retry.
 * - `messageHandler` with a zod schema: bytes that are not JSON (reason `malformed`) and a JSON
 *   payload that fails the schema (reason `validation`);
 * - `createConsumer` with `withSchema`: bytes that are not JSON, JSON that is not an event
 *   (both `malformed`), and an event whose data fails the schema (`validation`).
 * Well-formed messages sent after them must all be handled.
 */
export const malformed: Scenario = {
  name: 'malformed',
  title: 'Malformed JSON and schema failures: dead-lettered at once, no retries, the consumer keeps running',
  brokers: ['memory', 'redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const ledger = createLedger();
    const notes: string[] = [];
    try {
      const goods = quick ? 5 : 25;
      const payload = await runCase(target, ledger, 'payload', goods);
      const events = await runCase(target, ledger, 'event', goods);
      let ok = true;
      for (const outcome of [payload, events]) {
        notes.push(
          `${outcome.label}: ${outcome.bad.map((bad) => `${bad.what} → ${bad.reason}, ${deadLetterHeaders.attempts}=${bad.attempts}, after ${bad.ms} ms`).join('; ')}; ` +
            `handler called ${outcome.badHandlerCalls} time(s) for them, ${outcome.retried} retries; ${outcome.goodsHandled} of ${goods} later messages handled; ` +
            `consumer ${outcome.running ? 'still running' : 'STOPPED'}`,
        );
        ok &&= outcome.ok;
      }
      return ledger.result(malformed.name, target.broker, { recoveryMs: null, notes, ok });
    } catch (error) {
      notes.push(`failed: ${error instanceof Error ? error.message : String(error)}`);
      return ledger.result(malformed.name, target.broker, { recoveryMs: null, notes, ok: false });
    }
  },
};

const RETRY_DELAY_MS = 2_000;
const SETTLE_MS = 60_000;
const Order = z.object({ id: z.string(), amount: z.number() });

interface Bad {
  readonly id: string;
  readonly what: string;
  readonly reason: 'malformed' | 'validation';
  publish(): Promise<unknown>;
}

async function runCase(target: FaultTarget, ledger: Ledger, style: 'payload' | 'event', goods: number) {
  const suffix = randomBytes(4).toString('hex');
  const topic = `fault-malformed-${style}-${suffix}`;
  const messaging = consumerInstance(target);
  const raw = target.connect();
  const dlq = await readDeadLetters(target, `${topic}.dlq`, ledger);
  const calls = new Map<string, number>();
  const handled = (id: string): void => {
    calls.set(id, (calls.get(id) ?? 0) + 1);
    ledger.handled(id);
  };
  const retrying = { maxRetries: 3, retryDelayMs: RETRY_DELAY_MS, groupId: `fault-malformed-${suffix}` };
  let consumer: Consumer;
  if (style === 'payload') {
    consumer = messaging.messageHandler({ ...retrying, topic, schema: Order }, async function order(message) {
      handled(message.id);
    });
  } else {
    consumer = messaging.createConsumer({
      ...retrying,
      topics: [topic],
      handlers: { 'order.placed': withSchema(Order, async (event) => handled(event.data.id)) },
    });
  }
  const sentAt = new Map<string, number>();
  const tracked = async (id: string, publish: () => Promise<unknown>): Promise<void> => {
    ledger.sent(id);
    sentAt.set(id, Date.now());
    await publish();
    ledger.acknowledged(id);
  };
  const rawPublish = (id: string, bytes: string) => (): Promise<void> => raw.publish(topic, [{ headers: { 'fault-id': id }, value: Buffer.from(bytes) }]);
  const id = (label: string): string => `${label}-${suffix}`;
  const bad: Bad[] =
    style === 'payload'
      ? [
          { id: id('not-json'), what: 'bytes that are not JSON', reason: 'malformed', publish: rawPublish(id('not-json'), `{"id":"${id('not-json')}","amount":`) },
          { id: id('bad-amount'), what: 'amount "ten"', reason: 'validation', publish: rawPublish(id('bad-amount'), JSON.stringify({ id: id('bad-amount'), amount: 'ten' })) },
        ]
      : [
          { id: id('not-json'), what: 'bytes that are not JSON', reason: 'malformed', publish: rawPublish(id('not-json'), '{"name":"order.placed",') },
          { id: id('not-event'), what: 'JSON that is not an event', reason: 'malformed', publish: rawPublish(id('not-event'), JSON.stringify({ id: id('not-event'), amount: 1 })) },
          {
            id: id('bad-data'),
            what: 'event data with amount "ten"',
            reason: 'validation',
            publish: () => messaging.publishEvent('order.placed', { id: id('bad-data'), amount: 'ten' }, { topic, headers: { 'fault-id': id('bad-data') } }),
          },
        ];
  try {
    await consumer.start();
    for (const message of bad) await tracked(message.id, message.publish);
    const goodIds = Array.from({ length: goods }, (_, index) => id(`good-${index}`));
    for (const good of goodIds) {
      await tracked(good, () =>
        style === 'payload'
          ? messaging.getProducer().send(topic, { id: good, amount: 1 })
          : messaging.publishEvent('order.placed', { id: good, amount: 1 }, { topic }),
      );
    }
    await ledger.settled(SETTLE_MS);
    const outcomes = await Promise.all(
      bad.map(async (message) => {
        const letter = await dlq.waitFor(message.id, SETTLE_MS);
        const headers = letter.message.headers;
        return {
          what: message.what,
          expected: message.reason,
          reason: headers[deadLetterHeaders.reason] ?? '',
          attempts: headers[deadLetterHeaders.attempts] ?? '',
          error: headers[deadLetterHeaders.error] ?? '',
          ms: letter.at - (sentAt.get(message.id) ?? Number.NaN),
        };
      }),
    );
    const badHandlerCalls = bad.reduce((sum, message) => sum + (calls.get(message.id) ?? 0), 0);
    const { retried } = messaging.stats();
    const goodsHandled = goodIds.filter((good) => calls.has(good)).length;
    const running = consumer.running;
    const ok =
      outcomes.every((outcome) => outcome.reason === outcome.expected && outcome.attempts === '1' && outcome.error !== '') &&
      badHandlerCalls === 0 &&
      retried === 0 &&
      goodsHandled === goods &&
      running;
    return { label: style === 'payload' ? 'messageHandler + zod schema' : 'createConsumer + withSchema', bad: outcomes, badHandlerCalls, retried, goodsHandled, running, ok };
  } finally {
    await messaging.close({ timeoutMs: 1_000 }).catch(() => {});
    await raw.close().catch(() => {});
    await dlq.close().catch(() => {});
  }
}
