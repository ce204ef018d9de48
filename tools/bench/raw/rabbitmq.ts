import amqp, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { addresses, eventwireExchange, nodeUrls } from '../config.js';

/**
 * RabbitMQ with amqplib alone, with eventwire's guarantees: a confirm channel, persistent
 * `mandatory` messages (RabbitMQ returns one it cannot route, as it does to eventwire) routed to
 * a durable quorum queue (eventwire's default queue type), each publish awaited until confirmed; consumers ack manually after the
 * handler with prefetch = concurrency.
 */

const persistent: Options.Publish = { persistent: true, mandatory: true };

/**
 * Connects to the first node of `RABBITMQ_URL`, the node eventwire's adapter also picks first when
 * every node answers; any node of a cluster serves every queue.
 */
export const connectRabbit = (): Promise<ChannelModel> => amqp.connect(nodeUrls(addresses.rabbitmq)[0] ?? addresses.rabbitmq);

/**
 * The durable exchange and queue a topic's messages are routed to (eventwire's layout: a quorum
 * queue, the type eventwire declares by default); no queue: the exchange alone.
 */
export async function rabbitBindTopic(model: ChannelModel, topic: string, queue: string | undefined, exchange = eventwireExchange): Promise<void> {
  const channel = await model.createChannel();
  await channel.assertExchange(exchange, 'topic', { durable: true });
  if (queue !== undefined) {
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.bindQueue(queue, exchange, topic);
  }
  await channel.close();
}

export function rabbitSend(channel: ConfirmChannel, exchange: string, routingKey: string, value: Buffer, properties: Options.Publish = persistent): Promise<void> {
  return new Promise((resolve, reject) => {
    channel.publish(exchange, routingKey, value, properties, (error: unknown) => (error ? reject(new Error('nacked')) : resolve()));
  });
}

/** Publishes a batch and waits for all its confirms. */
export async function rabbitSendBatch(channel: ConfirmChannel, exchange: string, routingKey: string, values: readonly Buffer[]): Promise<void> {
  for (const value of values) channel.publish(exchange, routingKey, value, persistent);
  await channel.waitForConfirms();
}

/** Publishes `count` copies of `content`, confirmed, to `exchange` (`''`: straight to the queue named `routingKey`). */
export async function rabbitPrefill(exchange: string, routingKey: string, count: number, content: Buffer): Promise<void> {
  const model = await connectRabbit();
  try {
    const channel = await model.createConfirmChannel();
    for (let done = 0; done < count; done += 500) {
      await rabbitSendBatch(channel, exchange, routingKey, Array.from({ length: Math.min(500, count - done) }, () => content));
    }
  } finally {
    await model.close();
  }
}

/** Manual acks after the handler, `prefetch` = `concurrency`. */
export async function rabbitConsume(queue: string, concurrency: number, handle: (value: Buffer) => Promise<void>): Promise<{ stop(): Promise<void> }> {
  const model = await connectRabbit();
  const channel = await model.createChannel();
  await channel.prefetch(concurrency);
  let inFlight = 0;
  let idle = (): void => {};
  const { consumerTag } = await channel.consume(
    queue,
    (message) => {
      if (message === null) return;
      inFlight += 1;
      void handle(message.content)
        .then(() => channel.ack(message))
        .finally(() => {
          inFlight -= 1;
          if (inFlight === 0) idle();
        });
    },
    { noAck: false },
  );
  return {
    async stop() {
      await channel.cancel(consumerTag);
      if (inFlight > 0) await new Promise<void>((resolve) => (idle = resolve));
      await model.close();
    },
  };
}

/** Deletes queues and exchanges; a missing one is no error. */
export async function rabbitCleanup(queues: readonly string[], exchanges: readonly string[]): Promise<void> {
  const model = await connectRabbit();
  try {
    for (const [kind, name] of [...queues.map((q) => ['queue', q] as const), ...exchanges.map((e) => ['exchange', e] as const)]) {
      // A failed delete closes its channel: one channel per attempt.
      const channel = await model.createChannel();
      channel.on('error', () => {});
      try {
        if (kind === 'queue') await channel.deleteQueue(name);
        else await channel.deleteExchange(name);
        await channel.close();
      } catch {
        // absent already
      }
    }
  } finally {
    await model.close();
  }
}

export async function rabbitVersion(): Promise<string> {
  const model = await connectRabbit();
  try {
    const version: unknown = model.connection.serverProperties.version;
    return typeof version === 'string' ? version : 'unknown';
  } finally {
    await model.close();
  }
}
