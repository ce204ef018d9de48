import { keepsTopics, type Broker } from '../../entry/index.js';
import { loadPeer } from '../../lib/config/load-peer.js';
import type { FaultBroker } from './types.js';

/**
 * What the fault scenarios leave on a broker, and how it goes away: every connection a target
 * opens records the topics it publishes to, subscribes to or keeps, and the consumer groups it
 * subscribes with; `deleteCreated` then removes them, named one by one, so that a run in
 * progress elsewhere on the same broker (another checkout, the test suite) is never touched.
 *
 * | broker   | deleted                                                                                   |
 * |----------|-------------------------------------------------------------------------------------------|
 * | kafka    | the topics, then the consumer groups                                                      |
 * | redis    | the streams (a stream's consumer groups live in it)                                      |
 * | rabbitmq | each group's queue `<group>.<topic>` and each kept queue `<topic>` (the shared exchange stays) |
 *
 * A consumer group's dead-letter topic `<topic>.dlq` counts as created with it: eventwire keeps
 * it from the consumer's start (RabbitMQ declares its queue) in whichever process ran it.
 */

/** Names recorded since the last {@link Tracker.take}. */
export interface Created {
  readonly topics: ReadonlySet<string>;
  /** Each consumer group with the topics it subscribed to. */
  readonly groups: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Records what connections create; see {@link createTracker}. */
export interface Tracker {
  /** A broker that records, then forwards, every publish, subscribe and keepTopic. */
  wrap(broker: Broker): Broker;
  /** Records a group that a connection of another process subscribed with. */
  group(groupId: string, topics: readonly string[]): void;
  /** What was recorded since the previous call; recording starts afresh. */
  take(): Created;
}

/**
 * Creates a {@link Tracker}.
 *
 * @example
 * const tracker = createTracker(); const broker = tracker.wrap(createRedisBroker({ url })); …; await deleteCreated('redis', url, tracker.take());
 */
export function createTracker(): Tracker {
  let topics = new Set<string>();
  let groups = new Map<string, Set<string>>();
  const group = (groupId: string, subscribed: readonly string[]): void => {
    const known = groups.get(groupId) ?? new Set<string>();
    for (const topic of subscribed) {
      known.add(topic);
      topics.add(topic);
      topics.add(`${topic}.dlq`);
    }
    groups.set(groupId, known);
  };
  return {
    wrap(broker) {
      const recording: Broker = {
        name: broker.name,
        capabilities: broker.capabilities,
        publish(topic, messages, signal) {
          topics.add(topic);
          return broker.publish(topic, messages, signal);
        },
        subscribe(request, deliver) {
          group(request.groupId, request.topics);
          return broker.subscribe(request, deliver);
        },
        close: () => broker.close(),
      };
      if (!keepsTopics(broker)) return recording;
      return {
        ...recording,
        keepTopic(topic: string) {
          topics.add(topic);
          return broker.keepTopic(topic);
        },
      };
    },
    group,
    take() {
      const created = { topics, groups };
      topics = new Set();
      groups = new Map();
      return created;
    },
  };
}

/**
 * Deletes `created` from the broker at `url` (a Redis or AMQP URL, a Kafka bootstrap list). A
 * name that does not exist is skipped; a broker that refuses or does not answer throws.
 *
 * @example
 * await deleteCreated('kafka', '127.0.0.1:9092', tracker.take());
 */
export async function deleteCreated(broker: FaultBroker, url: string, created: Created): Promise<void> {
  if (created.topics.size === 0 && created.groups.size === 0) return;
  switch (broker) {
    case 'memory':
      return; // in-process: it goes with its server
    case 'redis':
      return deleteStreams(url, [...created.topics]);
    case 'rabbitmq':
      return deleteQueues(url, [...created.topics, ...[...created.groups].flatMap(([group, topics]) => [...topics].map((topic) => `${group}.${topic}`))]);
    case 'kafka':
      return deleteTopicsAndGroups(url, [...created.topics], [...created.groups.keys()]);
  }
}

async function deleteStreams(url: string, streams: string[]): Promise<void> {
  const { Redis } = await loadPeer<typeof import('ioredis')>('ioredis', 'fault cleanup');
  // No reconnecting and no offline queue: an unreachable Redis fails the cleanup at once.
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => {}); // the failing command reports it
  try {
    await client.connect();
    await client.unlink(...streams);
  } finally {
    client.disconnect();
  }
}

async function deleteQueues(url: string, queues: string[]): Promise<void> {
  const amqp = await loadPeer<typeof import('amqplib')>('amqplib', 'fault cleanup');
  const connection = await amqp.connect(url);
  connection.on('error', () => {}); // the failing operation reports it
  try {
    const channel = await connection.createChannel();
    // RabbitMQ answers delete-ok for a queue that does not exist.
    for (const queue of new Set(queues)) await channel.deleteQueue(queue);
    await channel.close();
  } finally {
    await connection.close().catch(() => {});
  }
}

type KafkaModule = typeof import('kafkajs');

async function deleteTopicsAndGroups(bootstrap: string, topics: string[], groups: string[]): Promise<void> {
  const loaded = await loadPeer<KafkaModule>('kafkajs', 'fault cleanup');
  // kafkajs is CommonJS: depending on the loader its exports are named or under `default`.
  const kafkajs = typeof loaded.Kafka === 'function' ? loaded : (loaded as unknown as { default: KafkaModule }).default;
  const config: import('kafkajs').KafkaConfig = {
    clientId: 'eventwire-faults-cleanup',
    brokers: bootstrap.split(',').map((address) => address.trim()),
    logLevel: kafkajs.logLevel.NOTHING,
    connectionTimeout: 5_000,
    retry: { retries: 3 },
  };
  const admin = new kafkajs.Kafka(config).admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const doomed = topics.filter((topic) => existing.has(topic));
    if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
    // Deleting the topics deleted the groups' offsets; an empty group without offsets is then
    // Kafka's to drop. Deleting it now is tidier but best effort: a member killed by a scenario
    // still holds its group until its session times out (NON_EMPTY_GROUP).
    const listed = new Set((await admin.listGroups()).groups.map((group) => group.groupId));
    const gone = groups.filter((group) => listed.has(group));
    if (gone.length > 0) await admin.deleteGroups(gone).catch(() => {});
  } finally {
    await admin.disconnect();
  }
}
