import { randomBytes } from 'node:crypto';
import { createMessaging, MessageTooLargeError, PublishError, PublishTimeoutError, silentLogger, type Messaging } from '../../../entry/index.js';
import { deferred } from '../../../lib/waiting.js';
import { createLedger, type Ledger } from '../ledger.js';
import type { FaultBroker, Scenario } from '../types.js';
import { createTimeline } from '../timeline.js';

/**
 * Scenario 7: oversized messages.
 *
 * 1. Over `maxMessageBytes` (default 1000000 bytes): send() rejects with MessageTooLargeError naming the
 *    limit, before anything reaches the broker. A message of exactly the limit is tried too.
 * 2. Under `maxMessageBytes` (raised for this) but over the broker's own limit: send() rejects
 *    with a PublishError. Kafka: message.max.bytes, 1048588 by default, with a 2 MiB message.
 *    RabbitMQ: max_message_size, 128 MiB by default (3.x), with 128 MiB + 1 KiB. Redis accepts
 *    up to proto-max-bulk-len (512 MB, about V8's longest string) and the memory broker has no
 *    limit: not applicable to them.
 * Meanwhile a consumer on the same instance (so, on RabbitMQ, the same connection) holds a
 * message in flight: it must be acknowledged once, and the producer must keep working (a message
 * sent afterwards with the same key arrives, after any redelivery of the held one).
 */
export const oversize: Scenario = {
  name: 'oversize',
  title: 'Oversized messages: MessageTooLargeError over maxMessageBytes, PublishError over the broker limit; the producer keeps working',
  brokers: ['memory', 'redis', 'rabbitmq', 'kafka'],
  async run(target) {
    const ledger = createLedger();
    const notes: string[] = [];
    const suffix = randomBytes(4).toString('hex');
    const topic = `fault-oversize-${suffix}`;
    const brokerLimit = BROKER_LIMITS[target.broker];
    const maxMessageBytes = brokerLimit === undefined ? DEFAULT_LIMIT : brokerLimit.maxMessageBytes;
    // Long enough for 128 MiB to RabbitMQ on a busy machine, and short of the CI test's 60 s
    // budget: a send that hangs fails the scenario with a note naming its step, not a bare timeout.
    const messaging = createMessaging({ broker: target.connect(), source: 'eventwire-faults', logger: silentLogger, maxMessageBytes, publishTimeoutMs: 35_000 });
    const limited = createMessaging({ broker: target.connect(), source: 'eventwire-faults', logger: silentLogger });
    let ok = true;
    try {
      // A consumer with a message in flight while the publishes are refused.
      const held = deferred();
      const arrived = new Map<string, number>();
      // Only its waiting is used: `until` re-checks on every poke(), one per arrival.
      const arrivals = createTimeline();
      const consumer = messaging.messageHandler({ topic, groupId: `fault-oversize-${suffix}`, maxRetries: 0 }, async function sized(message) {
        const { id } = message as { id: string };
        arrived.set(id, (arrived.get(id) ?? 0) + 1);
        arrivals.poke();
        if (id === `held-${suffix}`) await held.promise;
        ledger.handled(id);
      });
      await consumer.start();
      const lane = `lane-${suffix}`; // one key: one Kafka partition, so the order below holds
      await send(messaging, ledger, topic, `held-${suffix}`, 0, lane);
      await arrivals.until(() => arrived.has(`held-${suffix}`), STEP_MS, 'the held message to start');

      // 1. Over our own limit (the default instance: 1000000 bytes).
      const over = await attempt(() => send(limited, ledger, topic, `over-limit-${suffix}`, DEFAULT_LIMIT + 1, lane));
      const named = over instanceof MessageTooLargeError && over.limit === DEFAULT_LIMIT && over.message.includes(String(DEFAULT_LIMIT));
      notes.push(`${DEFAULT_LIMIT + 1} bytes with the default limit: ${describe(over)}${named ? ' (names the limit)' : ''}`);
      ok &&= named;
      const atLimit = await attempt(() => send(limited, ledger, topic, `at-limit-${suffix}`, DEFAULT_LIMIT, lane));
      notes.push(
        `exactly ${DEFAULT_LIMIT} bytes: ${describe(atLimit)}` +
          (target.broker === 'kafka' && atLimit instanceof PublishError
            ? ' (Kafka\'s message.max.bytes of 1048588 counts the whole record batch: framing, key and headers; a message near the 1 MiB default of maxMessageBytes can still be refused, with a PublishError)'
            : ''),
      );
      ok &&= atLimit === undefined || (target.broker === 'kafka' && atLimit instanceof PublishError && !(atLimit instanceof PublishTimeoutError));

      // 2. Under our (raised) limit, over the broker's.
      if (brokerLimit === undefined) {
        notes.push(target.broker === 'redis' ? 'over the broker limit: N/A (Redis accepts 512 MB, proto-max-bulk-len)' : 'over the broker limit: N/A (no broker limit)');
      } else {
        const began = Date.now();
        const refused = await attempt(() => send(messaging, ledger, topic, `over-broker-${suffix}`, brokerLimit.size, lane));
        const typed = refused instanceof PublishError && !(refused instanceof PublishTimeoutError);
        notes.push(`${brokerLimit.size} bytes with maxMessageBytes ${maxMessageBytes} (${brokerLimit.name}): ${describe(refused)} after ${Date.now() - began} ms`);
        ok &&= typed;
      }

      // The producer keeps working; the held message is acknowledged once.
      held.resolve();
      const after = `after-${suffix}`;
      const sentAfter = Date.now();
      await send(messaging, ledger, topic, after, 0, lane);
      await arrivals.until(() => arrived.has(after), STEP_MS, 'the message sent after the refusals');
      notes.push(`a message sent afterwards was handled ${Date.now() - sentAfter} ms later; the held message was delivered ${arrived.get(`held-${suffix}`) ?? 0} time(s)`);
      ok &&= arrived.get(`held-${suffix}`) === 1;
      return ledger.result(oversize.name, target.broker, { recoveryMs: null, notes, ok });
    } catch (error) {
      notes.push(`failed: ${error instanceof Error ? error.message : String(error)}`);
      return ledger.result(oversize.name, target.broker, { recoveryMs: null, notes, ok: false });
    } finally {
      await messaging.close({ timeoutMs: 1_000 }).catch(() => {});
      await limited.close({ timeoutMs: 1_000 }).catch(() => {});
    }
  },
};

const DEFAULT_LIMIT = 1_000_000;
const STEP_MS = 30_000;
const MiB = 1024 * 1024;

/** A message over each broker's own default limit, and a maxMessageBytes that lets it through. */
const BROKER_LIMITS: Partial<Record<FaultBroker, { name: string; size: number; maxMessageBytes: number }>> = {
  kafka: { name: 'Kafka message.max.bytes 1048588', size: 2 * MiB, maxMessageBytes: 4 * MiB },
  rabbitmq: { name: 'RabbitMQ max_message_size 128 MiB', size: 128 * MiB + 1024, maxMessageBytes: 256 * MiB },
};

/** Sends `{ id, pad }` whose JSON is exactly `bytes` long (or as short as possible when 0). */
async function send(messaging: Messaging, ledger: Ledger, topic: string, id: string, bytes: number, key: string): Promise<void> {
  const bare = JSON.stringify({ id, pad: '' }).length;
  const message = { id, pad: 'x'.repeat(Math.max(0, bytes - bare)) };
  ledger.sent(id);
  await messaging.getProducer().send(topic, message, { key });
  ledger.acknowledged(id);
}

async function attempt(work: () => Promise<void>): Promise<unknown> {
  try {
    await work();
    return undefined;
  } catch (error) {
    return error;
  }
}

function describe(outcome: unknown): string {
  if (outcome === undefined) return 'accepted';
  if (!(outcome instanceof Error)) return `rejected with ${String(outcome)}`;
  return `rejected with ${outcome.name}: ${outcome.message.slice(0, 240)}`;
}
