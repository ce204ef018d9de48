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
 * Kafka the topic with eventwire's partition count. `route: 'unbound'` (RabbitMQ): the exchange
 * only, no queue.
 */
export async function bindForSend(broker: BrokerId, topic: string, queue: string, route?: 'unbound'): Promise<void> {
  if (broker === 'rabbitmq') {
    const { connectRabbit, rabbitBindTopic } = await import('./rabbitmq.js');
    const model = await connectRabbit();
    await rabbitBindTopic(model, topic, route === 'unbound' ? undefined : queue);
    await model.close();
  } else if (broker === 'kafka') {
    await (await import('./kafka.js')).kafkaCreateTopic(topic);
  }
}

/**
 * One connected raw client of a broker, publishing to `topic` with the baseline's guarantees:
 * each promise resolves once the broker acknowledged the message. The send cases and the HTTP
 * case that publishes by hand (by-hand.ts) both go through it, so they share one connection code.
 */
export interface RawClient {
  /** `key` is used only on Kafka, where it picks the partition (eventwire's keyed events do the same). */
  send(value: Buffer, key?: string): Promise<void>;
  sendBatch(values: readonly Buffer[]): Promise<void>;
  close(): Promise<void>;
}

/** Connects the broker's raw client; the topic must exist already (see `bindForSend`). */
export async function rawClient(broker: BrokerId, topic: string, server: MemoryServer): Promise<RawClient> {
  switch (broker) {
    case 'redis': {
      const { connectRedis, redisSend, redisSendBatch } = await import('./redis.js');
      const redis = connectRedis();
      return {
        send: (value) => redisSend(redis, topic, value),
        sendBatch: (values) => redisSendBatch(redis, topic, values),
        close: async () => void redis.disconnect(),
      };
    }
    case 'rabbitmq': {
      const { connectRabbit, rabbitSend, rabbitSendBatch } = await import('./rabbitmq.js');
      const model = await connectRabbit();
      const channel = await model.createConfirmChannel();
      return {
        send: (value) => rabbitSend(channel, eventwireExchange, topic, value),
        sendBatch: (values) => rabbitSendBatch(channel, eventwireExchange, topic, values),
        close: () => model.close(),
      };
    }
    case 'kafka': {
      const { kafkaProducer, kafkaSend, kafkaSendBatch } = await import('./kafka.js');
      const producer = await kafkaProducer();
      return {
        send: (value, key) => kafkaSend(producer, topic, value, key),
        sendBatch: (values) => kafkaSendBatch(producer, topic, values),
        close: () => producer.disconnect(),
      };
    }
    case 'memory': {
      const { memoryConnection, memorySend, memorySendBatch } = await import('./memory.js');
      const connection = memoryConnection(server);
      return {
        send: (value) => memorySend(connection, topic, value),
        sendBatch: (values) => memorySendBatch(connection, topic, values),
        close: () => connection.close(),
      };
    }
  }
}

export async function rawSender(params: CaseParams, server: MemoryServer): Promise<Sender> {
  const { topic, sendQueue } = namesOf(params);
  await bindForSend(params.spec.broker, topic, sendQueue, params.spec.route);
  const client = await rawClient(params.spec.broker, topic, server);
  return {
    send: () => client.send(encode()),
    sendBatch: (count) => client.sendBatch(batchOf(count)),
    close: () => client.close(),
  };
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
