import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCommand } from './command.js';
import { host, reachable } from '../../test/support/probe.js';
import { tail } from './servers.js';
import type { Slot } from './slots.js';
import type { Instance } from './types.js';
import { repositoryRoot } from './worker.js';

/**
 * The run's own Kafka: a single KRaft node on 127.0.0.1:(24000 + slot), controller on
 * (25000 + slot), with its config, data, log and pid file in `<slot dir>/kafka`, started by
 * `scripts/brokers.sh` (KAFKA_INSTANCE_DIR, KAFKA_PORT, KAFKA_CONTROLLER_PORT) from the jars the
 * script keeps in `.cache/kafka/lib`. The project's broker on 9092 is never touched, so a fault
 * run can restart its Kafka while other tests use that one.
 *
 * - `restart()` is `brokers.sh down kafka` (SIGTERM: Kafka's controlled shutdown), then
 *   `up kafka` with KAFKA_KEEP_DATA=1, so that topics and offsets survive. Concurrent calls
 *   share one restart. Throws with the tail of the instance's log when Kafka does not come back.
 * - `stop()` is `brokers.sh down kafka`; {@link killKafkaLeftover} is the synchronous SIGKILL for
 *   the run's exit handler.
 */

/**
 * Starts the Kafka of `slot` and resolves once it answers an admin request.
 *
 * @example
 * const kafka = await kafkaInstance(await ownSlot()); await kafka.restart();
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
  leftovers.add(dir);
  await brokers('up');
  let restarting: Promise<void> | undefined;
  return {
    port,
    url: `${host}:${port}`,
    restart() {
      restarting ??= (async () => {
        await brokers('down');
        if (await reachable(port)) throw new Error(`The run's Kafka on ${host}:${port} still answers after brokers.sh down.`);
        await brokers('up');
      })().finally(() => (restarting = undefined));
      return restarting;
    },
    async stop() {
      await brokers('down');
      leftovers.delete(dir);
    },
  };
}

/** Instance folders whose Kafka may still run. */
const leftovers = new Set<string>();

/**
 * SIGKILLs, synchronously, the run's Kafka if it still runs: for the run's exit handler. The pid
 * is taken only while its command line names this instance's config file.
 */
export function killKafkaLeftover(): void {
  for (const dir of leftovers) {
    const pid = kafkaPid(dir);
    if (pid === undefined) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  leftovers.clear();
}

/** The pid recorded in `<dir>/kafka.pid`, if that process is still the Kafka of `dir`. */
export function kafkaPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dir, 'kafka.pid'), 'utf8').trim());
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
    return command.includes(`kafka.Kafka ${join(dir, 'server.properties')}`) ? pid : undefined;
  } catch {
    return undefined;
  }
}
