import { rabbitResources } from './drivers.js';
import { kafkaCleanup } from './raw/kafka.js';
import { rabbitCleanup } from './raw/rabbitmq.js';
import { redisCleanup } from './raw/redis.js';
import type { BrokerId } from './types.js';

/**
 * Removes what a case left on its broker: streams, queues, exchanges, topics and consumer
 * groups whose names start with the case's prefix. A failure is reported, never thrown.
 */
export async function cleanupCase(broker: BrokerId, name: string): Promise<void> {
  try {
    if (broker === 'redis') await redisCleanup(name);
    else if (broker === 'kafka') await kafkaCleanup(name);
    else if (broker === 'rabbitmq') {
      const { queues, exchanges } = rabbitResources(name);
      await rabbitCleanup(queues, exchanges);
    }
  } catch (error) {
    console.error(`cleanup of ${name} on ${broker} failed:`, error instanceof Error ? error.message : error);
  }
}

/** A last sweep over the whole run's prefix (Redis and Kafka can list by prefix). */
export async function cleanupRun(brokers: readonly BrokerId[], prefix: string): Promise<void> {
  for (const broker of brokers) if (broker === 'redis' || broker === 'kafka') await cleanupCase(broker, prefix);
}
