import type { Channel, Options } from 'amqplib';
import { QueueMismatchError } from '../../lib/errors/index.js';

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

/** A queue to declare and bind; `declareExchange` declares its exchange first (the dead-letter one, declared on first use). */
export interface QueueDeclaration {
  readonly name: string;
  readonly type: QueueType;
  readonly exchange: string;
  readonly topic: string;
  readonly declareExchange?: boolean;
}

/**
 * Declares the durable queue `name` of type `type` and binds it to `topic` on `exchange`. When
 * RabbitMQ refuses the declaration because a queue of that name exists with other arguments
 * (its type cannot change in place), rejects with a {@link QueueMismatchError} that says what
 * to do; the refusal also closes `channel`, as every channel error does.
 *
 * @example
 * await declareQueue(channel, { name: 'billing.orders', type: 'quorum', exchange: 'eventwire', topic: 'orders' });
 */
export async function declareQueue(channel: Pick<Channel, 'assertQueue' | 'bindQueue' | 'assertExchange'>, queue: QueueDeclaration): Promise<void> {
  if (queue.declareExchange === true) await channel.assertExchange(queue.exchange, 'topic', { durable: true });
  try {
    await channel.assertQueue(queue.name, queueOptions(queue.type));
  } catch (error) {
    throw (error as { code?: unknown }).code === PRECONDITION_FAILED ? mismatch(queue.name, queue.type, error) : error;
  }
  await channel.bindQueue(queue.name, queue.exchange, queue.topic);
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
