import { randomBytes } from 'node:crypto';
import { createMessaging, silentLogger, type Messaging } from '../../../entry/index.js';
import { awaitingRedelivery } from '../awaiting-redelivery.js';
import { createLedger } from '../ledger.js';
import type { Scenario } from '../types.js';
import { spawnLines, workerEnvironment, type WorkerConfig } from '../worker.js';
import { within } from '../restart-watch.js';
import { fastFailover, realBroker, sendRecorded } from './worker-killed.js';

/**
 * Scenario 4: SIGTERM reaches `eventwire consumer` (the real CLI, run on
 * tools/faults/fixtures/drain-worker.ts) while handlers run. The in-flight handlers must finish and
 * their messages be acknowledged once: the process exits 0 within the grace period, and a new
 * member of the group started afterwards receives every message the CLI did not handle and
 * none that it did.
 *
 * Messages carry keys k0…k5, and the new member is sent one sentinel per key after the CLI
 * exited; it runs until it received every message the CLI did not handle and every sentinel.
 * What bounds the check for repeats is the broker, not a waiting time: once the new member
 * stopped, the group must have nothing left to deliver again (tools/faults/awaiting-redelivery.ts:
 * no pending entry on Redis, committed offsets at the end on Kafka, an empty queue on
 * RabbitMQ). A repeat of a message the CLI handled can only come from such a message (Redis
 * hands a departed consumer's pending entry over once it was idle for claimIdleMs; Kafka and
 * RabbitMQ give an unacknowledged message to the next member), so with none left, none can come
 * after the check either.
 */
export const sigtermDrain: Scenario = {
  name: 'sigterm-drain',
  title: 'SIGTERM to the consumer CLI mid-handler: in-flight messages finish and are acknowledged once',
  brokers: ['redis', 'rabbitmq', 'kafka'],
  async run(target, { quick }) {
    const broker = realBroker(target.broker, sigtermDrain.name);
    const ledger = createLedger();
    const notes: string[] = [];
    const suffix = randomBytes(4).toString('hex');
    const config: WorkerConfig = {
      broker,
      url: target.url,
      topic: `fault-drain-${suffix}`,
      group: `fault-drain-${suffix}`,
      behaviour: `sleep:${HANDLER_MS}`,
      concurrency: 3,
      tuning: fastFailover(broker),
    };
    // The CLI's subscription, in its own process, is not one connect() sees.
    target.track(config.group, [config.topic]);
    const total = quick ? 6 : 12;
    const producer = createMessaging({ broker: target.connect(), source: 'eventwire-faults', logger: silentLogger });
    let member: Messaging | undefined;
    const cli = spawnLines('cli', ['entry/bin.ts', 'consumer', 'tools/faults/fixtures/drain-worker.ts', '--grace-ms', String(GRACE_MS)], workerEnvironment(config));
    const cliHandled = new Set<string>();
    cli.onLine((text) => {
      const id = /^handled (\S+)$/.exec(text)?.[1];
      if (id === undefined) return;
      cliHandled.add(id);
      ledger.handled(id);
    });
    try {
      await cli.waitForLine(/consuming .* as group/, START_MS, 'stderr');
      const ids = Array.from({ length: total }, (_, index) => `drain-${suffix}-${index}`);
      await Promise.all(ids.map((id, index) => sendRecorded(producer, ledger, config.topic, id, `k${index % KEYS}`)));

      // SIGTERM once handlers are in flight: `concurrency` of them, or on Kafka, which runs one
      // per partition and the six keys may not cover all three, two.
      const inFlight = broker === 'kafka' ? 2 : config.concurrency;
      await cli.waitFor(() => (startedIds(cli.lines).size >= inFlight ? true : undefined), STEP_MS, `${inFlight} started handlers`);
      const signalledAt = Date.now();
      const startedBefore = startedIds(cli.lines);
      cli.child.kill('SIGTERM');
      const exit = await within(cli.exited, GRACE_MS + 10_000, 'the CLI to exit after SIGTERM');
      const drainMs = exit.at - signalledAt;
      // A `started` line written just before the signal can arrive after it was sent.
      const startedAfter = [...startedIds(cli.lines)].filter((id) => !startedBefore.has(id));
      const unfinished = [...startedIds(cli.lines)].filter((id) => !cliHandled.has(id));
      notes.push(
        `SIGTERM with ${startedBefore.size} handler(s) of ${HANDLER_MS} ms in flight; exit code ${String(exit.code)}${exit.signal === null ? '' : ` (signal ${exit.signal})`} ` +
          `${drainMs} ms later (grace ${GRACE_MS} ms); ${cliHandled.size} of ${total} handled by the CLI` +
          (startedAfter.length === 0 ? '' : ` (${startedAfter.length} more \`started\` line(s) arrived after the signal was sent)`) +
          (unfinished.length === 0 ? '' : `; UNFINISHED: ${unfinished.join(', ')}`),
      );

      // A new member of the group: the rest, no repeats.
      member = createMessaging({ broker: target.connect({ tuning: fastFailover(broker) }), source: 'eventwire-faults', logger: silentLogger });
      const received: string[] = [];
      let arrived = (): void => {};
      member.messageHandler({ topic: config.topic, groupId: config.group, maxRetries: 0 }, async function afterDrain(message) {
        const { id } = message as { id: string };
        received.push(id);
        if (!id.startsWith('sentinel-')) ledger.handled(id);
        arrived();
      });
      await member.runConsumers();
      const sentinels = Array.from({ length: KEYS }, (_, index) => `sentinel-${suffix}-${index}`);
      await Promise.all(sentinels.map((id, index) => member?.getProducer().send(config.topic, { id }, { key: `k${index}` })));
      const expected = [...ids.filter((id) => !cliHandled.has(id)), ...sentinels];
      await within(
        new Promise<void>((resolve) => {
          arrived = () => void (expected.every((id) => received.includes(id)) && resolve());
          arrived();
        }),
        STEP_MS,
        `the new member to receive ${expected.length} messages (got ${received.length})`,
      );
      // Stopped gracefully (it acknowledges what it handled), then nothing may be left to deliver again.
      const stopping = member;
      member = undefined;
      await within(stopping.close({ timeoutMs: STOP_MS }), STOP_MS + 5_000, 'the new member to stop');
      const left = await awaitingRedelivery(broker, target.url, config.group, config.topic);
      const repeated = received.filter((id) => cliHandled.has(id));
      notes.push(
        `the new member received ${received.length - sentinels.length} left-over message(s) and ${repeated.length} the CLI had handled` +
          (repeated.length === 0 ? '' : ` (${repeated.join(', ')})`) +
          `; after it stopped, ${left} message(s) left for the group to receive again`,
      );
      const ok = exit.code === 0 && drainMs < GRACE_MS && unfinished.length === 0 && repeated.length === 0 && left === 0;
      return ledger.result(sigtermDrain.name, target.broker, { recoveryMs: drainMs, notes, ok });
    } catch (error) {
      notes.push(`failed: ${error instanceof Error ? error.message : String(error)}`);
      return ledger.result(sigtermDrain.name, target.broker, { recoveryMs: null, notes, ok: false });
    } finally {
      await cli.stop();
      await member?.close({ timeoutMs: 1_000 }).catch(() => {});
      await producer.close({ timeoutMs: 1_000 }).catch(() => {});
    }
  },
};

const HANDLER_MS = 1_500;
const GRACE_MS = 10_000;
const START_MS = 60_000;
const STEP_MS = 30_000;
/** A graceful stop: the handlers are done, only acknowledgements and commits remain. */
const STOP_MS = 15_000;
const KEYS = 6;

function startedIds(lines: readonly { readonly text: string }[]): Set<string> {
  return new Set(lines.map((line) => /^started (\S+)$/.exec(line.text)?.[1]).filter((id) => id !== undefined));
}
