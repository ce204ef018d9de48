import { kafkaInstance, killKafkaLeftover } from './kafka-instance.js';
import { rabbitMqInstance } from './rabbitmq-instance.js';
import { redisInstance } from './redis-instance.js';
import { killServers } from './servers.js';
import { abandonSlot, ownSlot, releaseSlot } from './slots.js';
import type { Instance, RealBroker } from './types.js';

/**
 * The broker instances the fault runner controls, so that scenarios may crash and restart them.
 *
 * | broker   | instance                                                                               |
 * |----------|----------------------------------------------------------------------------------------|
 * | redis    | a `redis-server` of the run's own on 127.0.0.1:(21000 + slot), AOF with `appendfsync always`. Restart = SIGKILL (a crash), `redisDownMs` down, then start on the same port and data: every acknowledged write is on disk. See tools/faults/redis-instance.ts. |
 * | rabbitmq | a RabbitMQ node of the run's own, `eventwire-faults-<slot>@localhost` on 127.0.0.1:(22000 + slot), Erlang distribution on (23000 + slot), its own config, no plugins. Restart = SIGTERM (RabbitMQ's graceful stop), start, `rabbitmqctl await_startup`. See tools/faults/rabbitmq-instance.ts. |
 * | kafka    | a single KRaft node of the run's own on 127.0.0.1:(24000 + slot), controller on (25000 + slot), started by `scripts/brokers.sh` in the slot's folder. Restart = `brokers.sh down kafka` (controlled shutdown), then `up kafka` with KAFKA_KEEP_DATA=1, so topics and offsets survive. See tools/faults/kafka-instance.ts. |
 *
 * Each run takes a slot (tools/faults/slots.ts): a directory `<tmpdir>/eventwire-faults/<slot>` with
 * the run's pid and start time and the instances' data and logs, and ports of its own. A run's
 * instances are its own: two runs at once, of one checkout or of several, never share an
 * instance or restart each other's. Redis and RabbitMQ are child processes of the run, Kafka a
 * process brokers.sh started for it
 * (tools/faults/servers.ts); {@link stopInstances} stops them and removes the slot, and so does the
 * run's exit, should it come first (the servers SIGKILLed). A run killed outright (SIGKILL)
 * leaves its slot behind; the next run, from any checkout, sees that its process is gone, kills
 * the servers recorded in it and removes it.
 */

const instances = new Map<RealBroker, Promise<Instance>>();

/**
 * The run's instance of `broker`, started on first use (a slot is taken first, after removing
 * those of runs that are gone). Throws with the instance's log tail when it cannot start.
 *
 * @example
 * const redis = await startInstance('redis'); await redis.restart();
 */
export function startInstance(broker: RealBroker): Promise<Instance> {
  let pending = instances.get(broker);
  if (pending === undefined) {
    pending = ownSlot().then((taken) => {
      abandonAtExit();
      if (broker === 'kafka') return kafkaInstance(taken);
      return broker === 'redis' ? redisInstance(taken) : rabbitMqInstance(taken);
    });
    // A failed start may be tried again by the next caller.
    pending.catch(() => instances.delete(broker));
    instances.set(broker, pending);
  }
  return pending;
}

/**
 * Stops every instance the run started and removes its slot.
 * Throws the first failure, after trying them all.
 *
 * @example
 * after(() => stopInstances());
 */
export async function stopInstances(): Promise<void> {
  const running = [...instances.values()];
  instances.clear();
  const results = await Promise.allSettled(running.map(async (pending) => (await pending).stop()));
  await releaseSlot();
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** Once the run holds a slot: {@link abandon} at its exit, should stopInstances() not come first. */
function abandonAtExit(): void {
  if (!process.listeners('exit').includes(abandon)) process.on('exit', abandon);
}

/** At exit without stopInstances(): the run's servers must not outlive it, nor its slot. */
function abandon(): void {
  killServers();
  killKafkaLeftover();
  abandonSlot();
}
