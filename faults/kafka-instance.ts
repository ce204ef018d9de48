import { join } from 'node:path';
import { runCommand } from './command.js';
import { host, reachable } from './probe.js';
import { tail } from './servers.js';
import type { Instance } from './types.js';
import { repositoryRoot } from './worker.js';

/**
 * The project's own Kafka as the run's instance: the broker `scripts/brokers.sh` runs on
 * 127.0.0.1:9092, shared with the rest of the test suite, not a process of the run.
 *
 * - Started with `brokers.sh up kafka` (5 minutes at most) when nothing answers on 9092.
 * - `restart()` is `brokers.sh down kafka`, then `up kafka`. Every brokers.sh call has
 *   KAFKA_KEEP_DATA=1, so that topics and offsets survive (without it brokers.sh wipes the data). Refused when 9092
 *   still answers after `down`: that broker was not started by brokers.sh. Throws with the tail
 *   of `.cache/kafka/kafka.log` when Kafka does not come back. Concurrent calls share one
 *   restart.
 * - `stop()` does nothing: the broker is never stopped.
 */

/**
 * The project's Kafka, started first when it is down.
 *
 * @example
 * const kafka = await kafkaInstance(); await kafka.restart();
 */
export async function kafkaInstance(): Promise<Instance> {
  const port = 9092;
  const script = join(repositoryRoot, 'scripts', 'brokers.sh');
  const log = join(repositoryRoot, '.cache', 'kafka', 'kafka.log');
  // KAFKA_KEEP_DATA=1: a restart, not a fresh cluster. Without it brokers.sh wipes the data.
  const env = { ...process.env, KAFKA_KEEP_DATA: '1' };
  let restarting: Promise<void> | undefined;
  if (!(await reachable(port))) await runCommand('bash', [script, 'up', 'kafka'], { env, timeout: 300_000 });
  return {
    port,
    url: `${host}:${port}`,
    restart() {
      restarting ??= (async () => {
        await runCommand('bash', [script, 'down', 'kafka'], { env, timeout: 120_000 });
        if (await reachable(port)) {
          throw new Error(`Kafka on ${host}:${port} was not started by scripts/brokers.sh (no live .cache/kafka/kafka.pid), so the fault runner cannot restart it.`);
        }
        await runCommand('bash', [script, 'up', 'kafka'], { env, timeout: 300_000 }).catch(async (error: unknown) => {
          throw new Error(`Kafka did not come back: ${String(error)}\n${await tail(log)}`);
        });
      })().finally(() => (restarting = undefined));
      return restarting;
    },
    async stop() {
      // Never: it is the project's broker, shared with the rest of the test suite.
    },
  };
}
