import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Messaging } from '../../../entry/index.js';
import { awaitingRedelivery } from '../awaiting-redelivery.js';
import { createLedger } from '../ledger.js';
import type { FaultBroker, Scenario } from '../types.js';
import { within } from '../restart-watch.js';
import { consumerInstance } from './poison.js';
import { realBroker } from './worker-killed.js';

/**
 * Scenario 9: a handler slower than the broker's liveness timeout must not have its message
 * handled a second time, in parallel, by another member of the group.
 *
 * - Kafka: sessionTimeoutMs 6000, handlers of 10 s. kafkajs heartbeats only between messages;
 *   the adapter heartbeats while a callback runs, so the member keeps its partitions.
 * - Redis: claimIdleMs 1000, handlers of 3 s. The holder re-claims its in-flight entries (which
 *   resets their idle time) every claimIdleMs / 2, so the other member's XAUTOCLAIM skips them.
 * - RabbitMQ: handlers of 3 s. Its limit is consumer_timeout (30 min by default): a delivery
 *   unacknowledged that long closes the channel and is requeued. Not lowered here (it is a
 *   broker-wide setting), so this only shows that nothing else redelivers.
 * Two members share the group, each with concurrency 3; every execution is tracked and the
 * largest number of simultaneous executions of one message must be 1, and no message may run
 * twice. A lost session or claim would show as a second execution while the first runs, or as
 * a redelivery after it: what bounds the watch for the latter is the broker, not a waiting time.
 * Once every message was handled, both members stop (gracefully: they acknowledge what they
 * handled) and the group must have nothing left to deliver again (tools/faults/awaiting-redelivery.ts);
 * a later duplicate could only be such a message, so with none left, none can come.
 */
export const slowHandler: Scenario = {
  name: 'slow-handler',
  title: 'Handler slower than the session/claim timeout: never handled twice in parallel',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const ledger = createLedger();
    const notes: string[] = [];
    const settings = SETTINGS[target.broker];
    if (settings === undefined) throw new Error(`slow-handler does not apply to ${target.broker}`);
    const suffix = randomBytes(4).toString('hex');
    const topic = `fault-slow-${suffix}`;
    const groupId = `fault-slow-${suffix}`;
    const members: Messaging[] = [];
    const active = new Map<string, number>();
    const executions = new Map<string, number>();
    let maxParallel = 0;
    try {
      for (let index = 0; index < 2; index += 1) {
        const member = consumerInstance(target, settings.tuning);
        members.push(member);
        const consumer = member.messageHandler({ topic, groupId, concurrency: 3, maxRetries: 0 }, async function slow(message) {
          const { id } = message as { id: string };
          const now = (active.get(id) ?? 0) + 1;
          active.set(id, now);
          executions.set(id, (executions.get(id) ?? 0) + 1);
          maxParallel = Math.max(maxParallel, now);
          try {
            await sleep(settings.handlerMs);
          } finally {
            active.set(id, (active.get(id) ?? 1) - 1);
          }
          ledger.handled(id);
        });
        await consumer.start();
      }
      const producer = members[0]?.getProducer();
      if (producer === undefined) throw new Error('no member');
      const count = quick ? settings.quickCount : 6;
      const began = Date.now();
      for (let index = 0; index < count; index += 1) {
        const id = `slow-${suffix}-${index}`;
        ledger.sent(id);
        await producer.send(topic, { id }, { key: id });
        ledger.acknowledged(id);
      }
      await ledger.settled(settings.handlerMs * count + 60_000);
      const settledMs = Date.now() - began;
      // A redelivery already under way runs to its end here: stopping drains in-flight handlers.
      await within(Promise.all(members.map((member) => member.close({ timeoutMs: STOP_MS }))), settings.handlerMs + STOP_MS + 5_000, 'both members to stop');
      const left = await awaitingRedelivery(realBroker(target.broker, slowHandler.name), target.url, groupId, topic);
      const repeated = [...executions.values()].filter((n) => n > 1).length;
      notes.push(
        `${count} messages, handlers of ${settings.handlerMs} ms against ${settings.timeout}; all handled after ${settledMs} ms; ` +
          `most simultaneous executions of one message: ${maxParallel}; messages executed more than once: ${repeated}; ` +
          `after both members stopped, ${left} message(s) left for the group to receive again`,
      );
      if (settings.note !== undefined) notes.push(settings.note);
      return ledger.result(slowHandler.name, target.broker, { recoveryMs: null, notes, ok: maxParallel === 1 && repeated === 0 && left === 0 });
    } catch (error) {
      notes.push(`failed: ${error instanceof Error ? error.message : String(error)}`);
      return ledger.result(slowHandler.name, target.broker, { recoveryMs: null, notes, ok: false });
    } finally {
      await Promise.all(members.map((member) => member.close({ timeoutMs: 1_000 }).catch(() => {})));
    }
  },
};

/** A graceful stop: the handlers are done, only acknowledgements and commits remain. */
const STOP_MS = 15_000;

const SETTINGS: Partial<Record<FaultBroker, { tuning: Record<string, unknown>; handlerMs: number; quickCount: number; timeout: string; note?: string }>> = {
  kafka: {
    tuning: { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 2_000 },
    handlerMs: 10_000,
    // Messages sent one after the other are fetched one by one: each waits for the previous (see the note).
    quickCount: 1,
    timeout: 'sessionTimeoutMs 6000',
    note:
      'Kafka: kafkajs fetches again only once every batch of its previous fetch was handled, so messages that arrive while a slow ' +
      'handler runs wait for it, on every partition of the member: `concurrency` runs in parallel only what one fetch returned',
  },
  redis: { tuning: { claimIdleMs: 1_000 }, handlerMs: 3_000, quickCount: 3, timeout: 'claimIdleMs 1000' },
  rabbitmq: {
    tuning: {},
    handlerMs: 3_000,
    quickCount: 3,
    timeout: 'no client-side timeout',
    note: 'RabbitMQ: the broker-side limit is consumer_timeout (1800000 ms by default); a handler slower than that has its channel closed and its message requeued',
  },
};
