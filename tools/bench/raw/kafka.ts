import kafkajs, { type Admin, type Consumer, type Producer } from 'kafkajs';
import { kafkaBrokers, kafkaPartitions } from '../config.js';

/**
 * Kafka with kafkajs alone, with eventwire's producer settings (the "same guarantees" rule):
 * `acks: -1`, one request in flight per connection, not idempotent, the Java-compatible
 * partitioner spreading unkeyed messages over the partitions. Consumers use kafkajs's own
 * at-least-once commits (`eachMessage` with `autoCommit`): an offset is resolved once its handler
 * resolved and committed at the end of each fetched batch, as eventwire commits handled offsets
 * in the background rather than one request per message.
 */

const { Kafka, Partitioners, logLevel } = kafkajs;

export const kafkaClient = (): InstanceType<typeof Kafka> => new Kafka({ clientId: 'eventwire-bench', brokers: kafkaBrokers(), logLevel: logLevel.ERROR });

export async function withAdmin<T>(use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Creates `topic` as eventwire creates its topics by default (docs/clusters.md): eventwire's
 * partition count, 3 replicas or as many as the cluster has brokers when fewer, and
 * `min.insync.replicas` 2 from 3 replicas up, else 1. With `acks: -1` a send is then acknowledged
 * once 2 replicas hold it on a 3-node cluster, on either side.
 */
export const kafkaCreateTopic = (topic: string): Promise<unknown> =>
  withAdmin(async (admin) => {
    const replicationFactor = Math.max(1, Math.min(3, (await admin.describeCluster()).brokers.length));
    const configEntries = [{ name: 'min.insync.replicas', value: replicationFactor >= 3 ? '2' : '1' }];
    return admin.createTopics({ topics: [{ topic, numPartitions: kafkaPartitions, replicationFactor, configEntries }], waitForLeaders: true });
  });

export async function kafkaProducer(): Promise<Producer> {
  // As adapters/kafka/connection.ts: kafkajs's idempotent producer can lose a batch after a connection drop.
  const producer = kafkaClient().producer({ idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  return producer;
}

/** One message, awaited until every in-sync replica has it; `key` (optional) picks the partition. */
export async function kafkaSend(producer: Producer, topic: string, value: Buffer, key?: string): Promise<void> {
  await producer.send({ topic, acks: -1, messages: [{ key: key ?? null, value }] });
}

export async function kafkaSendBatch(producer: Producer, topic: string, values: readonly Buffer[]): Promise<void> {
  await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
}

/** Writes `count` copies of `value` spread evenly over the topic's partitions. */
export async function kafkaPrefill(topic: string, count: number, value: Buffer): Promise<void> {
  const producer = await kafkaProducer();
  try {
    for (let done = 0; done < count; done += 500) {
      const messages = Array.from({ length: Math.min(500, count - done) }, (_, index) => ({ value, partition: (done + index) % kafkaPartitions }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * `eachMessage` with `concurrency` partitions at once and kafkajs's `autoCommit` at its defaults:
 * each offset is resolved after its handler, the resolved offsets committed after each batch.
 */
export async function kafkaConsume(topic: string, group: string, concurrency: number, handle: (value: Buffer) => Promise<void>): Promise<{ stop(): Promise<void> }> {
  const consumer: Consumer = kafkaClient().consumer({ groupId: group, maxWaitTimeInMs: 1000, allowAutoTopicCreation: false });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    partitionsConsumedConcurrently: concurrency,
    eachMessage: async ({ message }) => {
      await handle(message.value ?? Buffer.alloc(0));
    },
  });
  return { stop: () => consumer.disconnect() };
}

/** Deletes the topics and consumer groups whose names start with `prefix`. */
export async function kafkaCleanup(prefix: string): Promise<void> {
  await withAdmin(async (admin) => {
    const { groups } = await admin.listGroups();
    const ours = groups.map((group) => group.groupId).filter((id) => id.startsWith(prefix));
    if (ours.length > 0) await admin.deleteGroups(ours).catch(() => {});
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 });
  });
}
