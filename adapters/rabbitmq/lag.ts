import type { Channel, ChannelModel } from 'amqplib';
import type { TopicLag } from '../../lib/broker.js';
import { groupQueueName } from './queues.js';
import { shut } from './shut.js';

/** AMQP reply code of a passive declaration of a queue that does not exist. */
const NOT_FOUND = 404;

const ignore = (): void => {};

/**
 * The lag of `groupId` on `topics`: the ready message count of each group queue
 * (`<group>.<topic>`), read with a passive queue.declare (`checkQueue`) on a channel of its own.
 * Messages delivered and not yet acknowledged are in flight and not counted; AMQP does not tell
 * their number (the management API does). A queue that does not exist (the group never
 * subscribed to the topic) is left out; RabbitMQ closes the channel on that answer, so the next
 * queue is asked on a new one.
 *
 * @example
 * await rabbitMqLag(session.model, 'billing', ['orders']); // [{ topic: 'orders', groupId: 'billing', messages: 3 }]
 */
export async function rabbitMqLag(model: ChannelModel, groupId: string, topics: readonly string[]): Promise<TopicLag[]> {
  const lags: TopicLag[] = [];
  let channel: Channel | undefined;
  try {
    for (const topic of topics) {
      if (channel === undefined) {
        channel = await model.createChannel();
        channel.on('error', ignore);
      }
      try {
        const { messageCount } = await channel.checkQueue(groupQueueName(groupId, topic));
        lags.push({ topic, groupId, messages: messageCount });
      } catch (error) {
        if ((error as { code?: unknown }).code !== NOT_FOUND) throw error;
        channel = undefined;
      }
    }
  } finally {
    if (channel !== undefined) await shut(channel);
  }
  return lags;
}
