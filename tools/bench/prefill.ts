import type { MemoryServer } from 'eventwire/memory';
import { encodedPayload, eventwireExchange, payload } from './config.js';
import type { BrokerId } from './types.js';

/**
 * Where and how an implementation expects its messages. The topic is pre-filled with the raw
 * client in that format, in bulk, so that filling costs the same for everyone and is not timed.
 * - `standard`: eventwire's layout, also used by the raw consumers (Redis field `value`;
 *   RabbitMQ exchange `eventwire`, routing key = topic; Kafka value = JSON).
 * - `nest`: Nest's RabbitMQ transport reads `{ pattern, data }` from a queue named after the topic.
 * - `moleculer`: Redis field `payload`; RabbitMQ fanout exchange named after the topic.
 */
export interface Layout {
  readonly kind: 'standard' | 'nest' | 'moleculer';
  readonly topic: string;
}

export async function prefill(broker: BrokerId, layout: Layout, count: number, server?: MemoryServer): Promise<void> {
  const { kind, topic } = layout;
  const json = encodedPayload();
  switch (broker) {
    case 'redis': {
      const { redisPrefill } = await import('./raw/redis.js');
      return redisPrefill(topic, kind === 'moleculer' ? 'payload' : 'value', count, json);
    }
    case 'rabbitmq': {
      const { rabbitPrefill } = await import('./raw/rabbitmq.js');
      if (kind === 'nest') return rabbitPrefill('', topic, count, Buffer.from(JSON.stringify({ pattern: topic, data: payload })));
      return kind === 'moleculer' ? rabbitPrefill(topic, '', count, json) : rabbitPrefill(eventwireExchange, topic, count, json);
    }
    case 'kafka':
      return (await import('./raw/kafka.js')).kafkaPrefill(topic, count, json);
    case 'memory': {
      const { memoryConnection, memoryPrefill } = await import('./raw/memory.js');
      if (server === undefined) throw new Error('the memory broker needs its server to pre-fill');
      const connection = memoryConnection(server);
      await memoryPrefill(connection, topic, count, json);
      return connection.close();
    }
  }
}
