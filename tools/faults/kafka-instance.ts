import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { runCommand } from './command.js';
import { host, reachable } from '../../test/support/probe.js';
import { tail } from './server.js';
import type { Slot } from './slot.js';
import type { Instance } from './types.js';
import { repositoryRoot } from './worker.js';

/**
 * The run's own Kafka: a single KRaft node on 127.0.0.1:(24000 + slot), controller on
 * (25000 + slot), with its config, data, log and pid file in `<slot dir>/kafka`, started by
 * `scripts/brokers.sh` (KAFKA_INSTANCE_DIR, KAFKA_PORT, KAFKA_CONTROLLER_PORT) from the jars the
 * script keeps in `.cache/kafka/lib`. The project's broker on 9092 is never touched, so a fault
 * run can restart its Kafka while other tests use that one.
 *
 * - `restart()` is `brokers.sh down kafka` (SIGTERM: Kafka's controlled shutdown), then (after `downMs`, when given)
 *   `up kafka` with KAFKA_KEEP_DATA=1, so that topics and offsets survive. Concurrent calls
 *   share one restart. Throws with the tail of the instance's log when Kafka does not come back.
 * - `stop()` is `brokers.sh down kafka`. At a run's exit without it, slot.ts kills the process
 *   `kafka.pid` names (its command line names the slot's `server.properties`).
 */

/**
 * Starts the Kafka of `slot` and resolves once it answers an admin request.
 *
 * @example
 * const kafka = await kafkaInstance(await takeSlot()); await kafka.restart();
 */
export async function kafkaInstance(slot: Slot): Promise<Instance> {
  const port = slot.ports.kafka;
  const dir = join(slot.dir, 'kafka');
  const script = join(repositoryRoot, 'scripts', 'brokers.sh');
  const env = {
    ...process.env,
    KAFKA_INSTANCE_DIR: dir,
    KAFKA_PORT: String(port),
    KAFKA_CONTROLLER_PORT: String(slot.ports.kafkaController),
    // A restart, not a fresh cluster: without it brokers.sh wipes the data at each start.
    KAFKA_KEEP_DATA: '1',
    KAFKA_HEAP_OPTS: process.env.KAFKA_HEAP_OPTS ?? '-Xmx384m -Xms128m',
  };
  const brokers = (action: 'up' | 'down'): Promise<unknown> =>
    runCommand('bash', [script, action, 'kafka'], { env, timeout: 300_000 }).catch(async (error: unknown) => {
      throw new Error(`brokers.sh ${action} kafka failed for the run's Kafka on ${host}:${port}: ${String(error)}\n${await tail(join(dir, 'kafka.log'))}`);
    });
  await brokers('up');
  let restarting: Promise<void> | undefined;
  return {
    port,
    url: `${host}:${port}`,
    restart(options = {}) {
      restarting ??= (async () => {
        await brokers('down');
        if (await reachable(port)) throw new Error(`The run's Kafka on ${host}:${port} still answers after brokers.sh down.`);
        await sleep(options.downMs ?? 0);
        await brokers('up');
      })().finally(() => (restarting = undefined));
      return restarting;
    },
    stop: async () => {
      await brokers('down');
    },
  };
}
