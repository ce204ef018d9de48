import type { MemoryServer } from 'eventwire/memory';
import { eventwireExchange, payload } from '../config.js';
import { namesOf, type Drainable, type Sender } from '../drivers.js';
import { prefill } from '../prefill.js';
import type { BrokerId, CaseParams } from '../types.js';

/**
 * The raw baselines. Each broker's client is imported on demand so that a child process holds
 * only the library it measures.
 */

/** Every send encodes the payload again, as eventwire does. */
const encode = (): Buffer => Buffer.from(JSON.stringify(payload));
const batchOf = (count: number): Buffer[] => Array.from({ length: count }, encode);

/**
 * What a send case needs on the broker beforehand, the same for every implementation: on
 * RabbitMQ a durable queue bound to the topic (so persistent messages are really stored); on
 * Kafka the topic with eventwire's partition count.
 */
export async function bindForSend(broker: BrokerId, topic: string, queue: string): Promise<void> {
  if (broker === 'rabbitmq') {
    const { connectRabbit, rabbitBindTopic } = await import('./rabbitmq.js');
    const model = await connectRabbit();
    await rabbitBindTopic(model, topic, queue);
    await model.close();
  } else if (broker === 'kafka') {
    await (await import('./kafka.js')).kafkaCreateTopic(topic);
  }
}

export async function rawSender(params: CaseParams, server: MemoryServer): Promise<Sender> {
  const { topic, sendQueue } = namesOf(params);
  await bindForSend(params.spec.broker, topic, sendQueue);
  switch (params.spec.broker) {
    case 'redis': {
      const { connectRedis, redisSend, redisSendBatch } = await import('./redis.js');
      const redis = connectRedis();
      return {
        send: () => redisSend(redis, topic, encode()),
        sendBatch: (count) => redisSendBatch(redis, topic, batchOf(count)),
        close: async () => void redis.disconnect(),
      };
    }
    case 'rabbitmq': {
      const { connectRabbit, rabbitSend, rabbitSendBatch } = await import('./rabbitmq.js');
      const model = await connectRabbit();
      const channel = await model.createConfirmChannel();
      return {
        send: () => rabbitSend(channel, eventwireExchange, topic, encode()),
        sendBatch: (count) => rabbitSendBatch(channel, eventwireExchange, topic, batchOf(count)),
        close: () => model.close(),
      };
    }
    case 'kafka': {
      const { kafkaProducer, kafkaSend, kafkaSendBatch } = await import('./kafka.js');
      const producer = await kafkaProducer();
      return {
        send: () => kafkaSend(producer, topic, encode()),
        sendBatch: (count) => kafkaSendBatch(producer, topic, batchOf(count)),
        close: () => producer.disconnect(),
      };
    }
    case 'memory': {
      const { memoryConnection, memorySend, memorySendBatch } = await import('./memory.js');
      const connection = memoryConnection(server);
      return {
        send: () => memorySend(connection, topic, encode()),
        sendBatch: (count) => memorySendBatch(connection, topic, batchOf(count)),
        close: () => connection.close(),
      };
    }
  }
}

type Stoppable = { stop(): Promise<void> };

async function consumeWith(broker: BrokerId, topic: string, group: string, concurrency: number, handler: (value: Buffer) => Promise<void>, server: MemoryServer): Promise<Stoppable> {
  switch (broker) {
    case 'redis':
      return (await import('./redis.js')).redisConsume(topic, group, concurrency, handler);
    case 'rabbitmq': {
      const { connectRabbit, rabbitBindTopic, rabbitConsume } = await import('./rabbitmq.js');
      const queue = `${group}.${topic}`;
      const model = await connectRabbit();
      await rabbitBindTopic(model, topic, queue);
      await model.close();
      return rabbitConsume(queue, concurrency, handler);
    }
    case 'kafka': {
      const { kafkaConsume, kafkaCreateTopic } = await import('./kafka.js');
      await kafkaCreateTopic(topic);
      return kafkaConsume(topic, group, concurrency, handler);
    }
    case 'memory': {
      const { memoryConnection, memoryConsume } = await import('./memory.js');
      const connection = memoryConnection(server);
      const subscription = await memoryConsume(connection, topic, group, concurrency, handler);
      return { stop: () => subscription.stop().then(() => connection.close()) };
    }
  }
}

/** The hand-written consumer loops; each parses the JSON payload, as any real handler would. */
export function rawDrainable(params: CaseParams, server: MemoryServer): Drainable {
  const { topic, group } = namesOf(params);
  const broker = params.spec.broker;
  let consumer: Stoppable | undefined;
  return {
    async start(concurrency, handle) {
      const handler = async (value: Buffer): Promise<void> => {
        JSON.parse(value.toString('utf8'));
        await handle();
      };
      consumer = await consumeWith(broker, topic, group, concurrency, handler, server);
    },
    prefill: (count) => prefill(broker, { kind: 'standard', topic }, count, server),
    stop: async () => consumer?.stop(),
  };
}
