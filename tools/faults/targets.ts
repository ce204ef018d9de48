import { connect as netConnect, type Socket } from 'node:net';
import { createKafkaBroker } from '../../adapters/kafka/index.js';
import { createMemoryBroker, createMemoryServer } from '../../adapters/memory/index.js';
import { createRabbitMqBroker } from '../../adapters/rabbitmq/index.js';
import { createRedisBroker } from '../../adapters/redis/index.js';
import { silentLogger, type Broker } from '../../entry/index.js';
import { createTracker, deleteCreated } from './cleanup.js';
import { startInstance, stopInstances } from './instances.js';
import { host } from '../../test/support/probe.js';
import type { FaultBroker, FaultTarget, RealBroker, RestartOptions } from './types.js';

/**
 * Where the fault scenarios find their brokers.
 *
 * - {@link startTarget}: the run's own instances, which scenarios may restart (a Redis, a
 *   RabbitMQ node and a Kafka node started for the run on ports of its own; see
 *   tools/faults/instances.ts), or an in-process memory server. {@link shutdown} stops them.
 * - {@link targetAt}: a broker that is already running (the test suite's standard brokers),
 *   without restarts.
 *
 * Every target records what its connections create and deletes it in `cleanup()`: see
 * tools/faults/cleanup.ts.
 *
 * @example
 * const target = await startTarget('redis');
 * const broker = target.connect();
 * await target.restart?.();
 * await broker.close(); await target.cleanup();
 * await shutdown();
 */

/** The port each client library assumes when a URL names none. */
const defaultPorts = { redis: 6379, rabbitmq: 5672, kafka: 9092 } as const;

/**
 * Makes the broker's instance reachable (started once per process, then reused) and returns a
 * target on it. Throws with the instance's log tail when it cannot start.
 *
 * @example
 * const target = await startTarget('rabbitmq');
 */
export async function startTarget(broker: FaultBroker): Promise<FaultTarget> {
  if (broker === 'memory') return memoryTarget();
  const instance = await startInstance(broker);
  return brokerTarget(broker, instance.url, instance.port, (options) => instance.restart(options));
}

/**
 * A target on a broker that is already running at `url` (a Redis or AMQP URL, a Kafka bootstrap
 * list), with no restart.
 *
 * @example
 * const target = targetAt('redis', 'redis://127.0.0.1:6379');
 */
export function targetAt(broker: RealBroker, url: string): FaultTarget {
  const first = url.split(',')[0]?.trim() ?? url;
  const named = new URL(first.includes('://') ? first : `tcp://${first}`).port;
  return brokerTarget(broker, url, named === '' ? defaultPorts[broker] : Number(named));
}

/**
 * Stops every instance this process started (Redis, the RabbitMQ node, Kafka) and removes
 * their data.
 *
 * @example
 * after(() => shutdown());
 */
export function shutdown(): Promise<void> {
  return stopInstances();
}

function memoryTarget(): FaultTarget {
  const server = createMemoryServer();
  return { broker: 'memory', url: 'memory://', port: undefined, connect: () => createMemoryBroker({ server }), track() {}, cleanup: async () => {} };
}

function brokerTarget(broker: RealBroker, url: string, port: number, restart?: (options?: RestartOptions) => Promise<void>): FaultTarget {
  const tracker = createTracker();
  const open = (options: { readonly port?: number; readonly tuning?: Readonly<Record<string, unknown>> }): Broker => {
    const tuning = options.tuning ?? {};
    const through = options.port;
    switch (broker) {
      case 'redis': {
        const address = through === undefined ? url : withPort(url, through);
        return createRedisBroker({ url: address, logger: silentLogger, ...tuning });
      }
      case 'rabbitmq': {
        const address = through === undefined ? url : withPort(url, through);
        return createRabbitMqBroker({ url: address, logger: silentLogger, ...tuning });
      }
      case 'kafka': {
        if (through === undefined) return createKafkaBroker({ bootstrapServers: url, logger: silentLogger, ...tuning });
        // Kafka tells clients where each broker is (advertised.listeners), so a proxy port alone
        // would be left after the first metadata request. Every socket kafkajs opens to the
        // broker's port goes to the proxy instead.
        const clientOptions = { ...(tuning.clientOptions as Record<string, unknown> | undefined), socketFactory: proxiedSockets(port, through) };
        return createKafkaBroker({ bootstrapServers: `${host}:${through}`, logger: silentLogger, ...tuning, clientOptions });
      }
    }
  };
  return {
    broker,
    url,
    port,
    connect: (options = {}) => tracker.wrap(open(options)),
    ...(restart === undefined ? {} : { restart }),
    track: (groupId, topics) => tracker.group(groupId, topics),
    cleanup: () => deleteCreated(broker, url, tracker.take()),
  };
}

/** `url` with its port replaced (the proxy in front of the broker). */
function withPort(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.port = String(port);
  return parsed.toString();
}

/** kafkajs socket factory that sends every connection meant for `port` to `proxyPort`. */
function proxiedSockets(port: number, proxyPort: number) {
  return ({ host: to, port: toPort, onConnect }: { host: string; port: number; onConnect: () => void }): Socket => {
    const socket = netConnect({ host: to, port: toPort === port ? proxyPort : toPort }, onConnect);
    socket.setKeepAlive(true, 60_000);
    return socket;
  };
}
