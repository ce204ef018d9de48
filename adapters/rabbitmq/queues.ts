import type { Channel, ChannelModel, Options } from 'amqplib';
import { QueueMismatchError } from '../../lib/errors/index.js';
import { exchangeFor, type Exchanges } from './exchanges.js';
import { shut } from './shut.js';

/** The queue types eventwire declares: replicated `quorum` queues, or single-node `classic` ones. */
export type QueueType = 'quorum' | 'classic';

/** AMQP reply code of a declaration that contradicts the queue's existing arguments. */
const PRECONDITION_FAILED = 406;

/**
 * The queue of consumer group `groupId` on `topic`: `<group>.<topic>` (docs/wire-format.md).
 *
 * @example
 * groupQueueName('billing', 'orders'); // 'billing.orders'
 */
export function groupQueueName(groupId: string, topic: string): string {
  return `${groupId}.${topic}`;
}

/**
 * The arguments of every queue eventwire declares. A classic queue is declared without
 * `x-queue-type`, exactly as before the option existed, so that queues declared by older
 * versions are redeclared unchanged. No `x-delivery-limit`: eventwire counts attempts and
 * dead-letters itself (in its own envelope, to `<topic>.dlq`); a broker-side limit would drop a
 * message, or send it to a RabbitMQ dead-letter exchange outside eventwire, behind its back.
 *
 * @example
 * await channel.assertQueue('billing.orders', queueOptions('quorum'));
 */
export function queueOptions(type: QueueType): Options.AssertQueue {
  return type === 'quorum' ? { durable: true, arguments: { 'x-queue-type': 'quorum' } } : { durable: true };
}

/** A queue to declare and bind to `topic` on the exchange that `topic` goes through. */
export interface QueueDeclaration {
  readonly name: string;
  readonly type: QueueType;
  readonly exchanges: Exchanges;
  readonly topic: string;
}

/**
 * Declares the durable queue `name` of type `type` and binds it to `topic` on `topic`'s exchange
 * ({@link exchangeFor}); the dead-letter exchange is declared first, since it is made on first
 * use (the owner of the connection declared the main one). When RabbitMQ refuses the
 * declaration because a queue of that name exists with other arguments (its type cannot change
 * in place), rejects with a {@link QueueMismatchError} that says what to do; the refusal also
 * closes `channel`, as every channel error does.
 *
 * @example
 * await declareQueue(channel, { name: 'billing.orders', type: 'quorum', exchanges: { main: 'eventwire', deadLetters: 'eventwire.dlq' }, topic: 'orders' });
 */
export async function declareQueue(channel: Pick<Channel, 'assertQueue' | 'bindQueue' | 'assertExchange'>, queue: QueueDeclaration): Promise<void> {
  const exchange = exchangeFor(queue.exchanges, queue.topic);
  if (exchange !== queue.exchanges.main) await channel.assertExchange(exchange, 'topic', { durable: true });
  try {
    await channel.assertQueue(queue.name, queueOptions(queue.type));
  } catch (error) {
    throw (error as { code?: unknown }).code === PRECONDITION_FAILED ? mismatch(queue.name, queue.type, error) : error;
  }
  await channel.bindQueue(queue.name, exchange, queue.topic);
}

/**
 * {@link declareQueue} on a channel of its own, closed afterwards: a refused declaration closes
 * that channel, not one in use (the publishing channel, a member's).
 *
 * @example
 * await declareOnOwnChannel(model, { name: 'orders', type: 'quorum', exchanges, topic: 'orders' });
 */
export async function declareOnOwnChannel(model: Pick<ChannelModel, 'createChannel'>, queue: QueueDeclaration): Promise<void> {
  const channel = await model.createChannel();
  channel.on('error', () => {});
  try {
    await declareQueue(channel, queue);
  } finally {
    await shut(channel);
  }
}

function mismatch(name: string, type: QueueType, cause: unknown): QueueMismatchError {
  const other: QueueType = type === 'quorum' ? 'classic' : 'quorum';
  const reason = cause instanceof Error ? ` RabbitMQ said: ${cause.message}` : '';
  return new QueueMismatchError(
    'RabbitMQ',
    name,
    `RabbitMQ already has the queue "${name}" with other arguments than eventwire declares for \`queueType: '${type}'\` (most likely a ${other} queue, from an earlier version or another setting); a queue's type cannot change in place. ` +
      `To keep the existing queue, set \`queueType: '${other}'\` in the RabbitMQ options. To move to a ${type} queue, migrate it as docs/clusters.md describes ("Moving RabbitMQ queues to quorum queues").${reason}`,
    { cause },
  );
}
