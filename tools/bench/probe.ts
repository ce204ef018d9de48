import { within } from './measure.js';
import { withAdmin } from './raw/kafka.js';
import { connectRabbit } from './raw/rabbitmq.js';
import { connectRedis } from './raw/redis.js';
import type { BrokerId } from './types.js';

async function ping(broker: BrokerId): Promise<void> {
  if (broker === 'redis') {
    const redis = connectRedis();
    try {
      await redis.ping();
    } finally {
      redis.disconnect();
    }
  } else if (broker === 'rabbitmq') await (await connectRabbit()).close();
  else if (broker === 'kafka') await withAdmin((admin) => admin.listTopics());
}

const startSingle = (broker: BrokerId): string => `start it: npm run brokers -- up ${broker}`;

/**
 * Brokers that do not answer within 10 s, with the reason and `hint` (how to start one); their
 * cases are recorded as errors.
 */
export async function probeBrokers(brokers: readonly BrokerId[], hint: (broker: BrokerId) => string = startSingle): Promise<Map<BrokerId, string>> {
  const down = new Map<BrokerId, string>();
  for (const broker of brokers) {
    try {
      await within(ping(broker), 10, `reaching ${broker}`);
    } catch (error) {
      down.set(broker, `${error instanceof Error ? error.message : String(error)} (${hint(broker)})`);
    }
  }
  return down;
}
