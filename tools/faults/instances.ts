import { kafkaInstance } from './kafka-instance.js';
import { rabbitMqInstance } from './rabbitmq-instance.js';
import { postgresInstance } from './postgres-instance.js';
import { redisInstance } from './redis-instance.js';
import { clearSlot, takeSlot, type Slot } from './slot.js';
import type { Instance, RealBroker } from './types.js';

/**
 * The broker instances the fault runner controls, so that scenarios may crash and restart them.
 * All live in the run's slot (slot.ts: its directory and its own ports), never on the standard
 * ports, so the project's brokers and other runs are untouched.
 *
 * | broker   | instance (slot ports) | restart |
 * |----------|-----------------------|---------|
 * | redis    | `redis-server` child on 21000 + slot, AOF with `appendfsync always` (redis-instance.ts) | SIGKILL (a crash), `redisDownMs` down, start on the same data |
 * | rabbitmq | RabbitMQ node child `eventwire-faults-<slot>@localhost` on 22000 + slot, Erlang distribution 23000 + slot, own config, no plugins (rabbitmq-instance.ts) | SIGTERM (graceful stop), start, `rabbitmqctl await_startup` |
 * | kafka    | KRaft node on 24000 + slot, controller 25000 + slot, by `scripts/brokers.sh` in the slot (kafka-instance.ts) | `brokers.sh down kafka`, `up kafka` with KAFKA_KEEP_DATA=1 |
 * | postgres | `postgres` child on 26000 + slot, a cluster initdb made in the slot (postgres-instance.ts; the outbox scenarios) | SIGQUIT (immediate shutdown, a crash), start on the same data |
 *
 * {@link stopInstances} stops them and removes the slot; should the run exit first, its exit
 * handler kills them and removes the slot; should it be SIGKILLed, the next run does.
 */

let slot: Promise<Slot> | undefined;
const instances = new Map<RealBroker | 'postgres', Promise<Instance>>();

/**
 * The run's instance of `broker`, started on first use (the slot taken first). Throws with the
 * instance's log tail when it cannot start; the next call tries again.
 *
 * @example
 * const redis = await startInstance('redis'); await redis.restart();
 */
export function startInstance(broker: RealBroker): Promise<Instance> {
  let pending = instances.get(broker);
  if (pending === undefined) {
    pending = ownSlot().then((taken) => (broker === 'kafka' ? kafkaInstance(taken) : broker === 'redis' ? redisInstance(taken) : rabbitMqInstance(taken)));
    pending.catch(() => instances.delete(broker));
    instances.set(broker, pending);
  }
  return pending;
}

/**
 * The run's own PostgreSQL (never the machine's), started on first use like the brokers.
 *
 * @example
 * const postgres = await startPostgres(); const pool = await createPgPool(postgres.url, logger);
 */
export function startPostgres(): Promise<Instance> {
  let pending = instances.get('postgres');
  if (pending === undefined) {
    pending = ownSlot().then(postgresInstance);
    pending.catch(() => instances.delete('postgres'));
    instances.set('postgres', pending);
  }
  return pending;
}

/**
 * Stops every instance the run started and removes its slot. Throws the first failure, after
 * trying them all.
 *
 * @example
 * after(() => stopInstances());
 */
export async function stopInstances(): Promise<void> {
  const running = [...instances.values()];
  instances.clear();
  const results = await Promise.allSettled(running.map(async (pending) => (await pending).stop()));
  const taken = await slot?.catch(() => undefined);
  slot = undefined;
  if (taken !== undefined) {
    process.off('exit', clearAtExit);
    clearSlot(taken.dir);
  }
  const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}

/** The run's slot, taken on first use; a failed attempt is tried again by the next caller. */
function ownSlot(): Promise<Slot> {
  if (slot === undefined) {
    const taking = takeSlot().then((taken) => {
      slotDir = taken.dir;
      process.on('exit', clearAtExit);
      return taken;
    });
    taking.catch(() => {
      if (slot === taking) slot = undefined;
    });
    slot = taking;
  }
  return slot;
}

/** The slot directory {@link clearAtExit} clears. */
let slotDir = '';

/** At an exit without stopInstances(): the run's servers must not outlive it, nor its slot. */
function clearAtExit(): void {
  clearSlot(slotDir);
}
