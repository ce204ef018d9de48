import { loadPeer } from '../../lib/config/load-peer.js';
import type { RealBroker } from './types.js';

/**
 * How many messages of `topic` the broker could still deliver again to consumer group `groupId`:
 * delivered to a member and never acknowledged. A scenario that must show "handled once" checks
 * this is 0 after the group's members stopped: every later duplicate would have to be one of
 * these, so with none left no redelivery can produce one, however long one waits.
 *
 * | broker   | counted                                                                              |
 * |----------|--------------------------------------------------------------------------------------|
 * | redis    | the group's pending entries (XPENDING): what XAUTOCLAIM would hand to another member  |
 * | kafka    | per partition, the messages past the group's committed offset: what the next owner reads |
 * | rabbitmq | the messages ready in the group's queue `<group>.<topic>`: its unacknowledged messages return there when their channel closes |
 *
 * Call it once every member of the group stopped (gracefully: a member acknowledges what it
 * handled while it stops): RabbitMQ counts a message only once its channel closed, Kafka only
 * what was committed.
 *
 * @example
 * await member.close({ timeoutMs: 15_000 });
 * const left = await awaitingRedelivery('kafka', '127.0.0.1:9092', 'billing', 'orders');
 */
export async function awaitingRedelivery(broker: RealBroker, url: string, groupId: string, topic: string): Promise<number> {
  switch (broker) {
    case 'redis':
      return pendingEntries(url, groupId, topic);
    case 'rabbitmq':
      return readyInQueue(url, `${groupId}.${topic}`);
    case 'kafka':
      return pastCommitted(url, groupId, topic);
  }
}

async function pendingEntries(url: string, groupId: string, topic: string): Promise<number> {
  const { Redis } = await loadPeer<typeof import('ioredis')>('ioredis', 'fault scenario check');
  const client = new Redis(url, { lazyConnect: true, connectTimeout: 5_000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {}); // the failing command reports it
  try {
    await client.connect();
    const [count] = (await client.xpending(topic, groupId)) as [number];
    return Number(count);
  } finally {
    client.disconnect();
  }
}

async function readyInQueue(url: string, queue: string): Promise<number> {
  const amqp = await loadPeer<typeof import('amqplib')>('amqplib', 'fault scenario check');
  const connection = await amqp.connect(url);
  connection.on('error', () => {}); // the failing operation reports it
  try {
    const channel = await connection.createChannel();
    const { messageCount } = await channel.checkQueue(queue);
    await channel.close();
    return messageCount;
  } finally {
    await connection.close().catch(() => {});
  }
}

type KafkaModule = typeof import('kafkajs');

async function pastCommitted(bootstrap: string, groupId: string, topic: string): Promise<number> {
  const loaded = await loadPeer<KafkaModule>('kafkajs', 'fault scenario check');
  // kafkajs is CommonJS: depending on the loader its exports are named or under `default`.
  const kafkajs = typeof loaded.Kafka === 'function' ? loaded : (loaded as unknown as { default: KafkaModule }).default;
  const brokers = bootstrap.split(',').map((address) => address.trim());
  const admin = new kafkajs.Kafka({ clientId: 'eventwire-faults-check', brokers, logLevel: kafkajs.logLevel.NOTHING, connectionTimeout: 5_000 }).admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let left = 0;
    for (const { partition, high, low } of ends) {
      const offset = Number(committed?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
      // -1: the group never committed on this partition; all its messages are still to be read.
      left += Number(high) - (offset < 0 ? Number(low) : offset);
    }
    return left;
  } finally {
    await admin.disconnect();
  }
}
