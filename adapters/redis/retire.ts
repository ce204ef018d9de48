import type { Logger } from '../../lib/config/logger.js';
import { bounded } from '../../lib/waiting.js';
import { STOP_ACK_WAIT_MS } from './ack-batcher.js';
import type { RedisClient } from './client.js';

/** XGROUP DELCONSUMER, only when the consumer has no pending entry on the stream (atomic: one script). */
const RETIRE_SCRIPT = `if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
end
return -1`;

/**
 * Removes a stopped member's consumer name from its group on each stream where the name holds
 * nothing pending, so that stopped workers do not pile up in `XINFO CONSUMERS`. A name that still
 * holds entries stays: deleting it would drop them from the group's pending list. Bounded like
 * the last XACKs; a failure is logged at debug level and leaves the name.
 *
 * @example
 * await retireConsumer(redis, { group: 'billing', consumer: 'host-1-ab12', topics: ['orders'] }, logger, {});
 */
export async function retireConsumer(
  redis: Pick<RedisClient, 'eval'>,
  name: { readonly group: string; readonly consumer: string; readonly topics: readonly string[] },
  logger: Logger,
  context: Readonly<Record<string, string>>,
): Promise<void> {
  const work = Promise.all(
    name.topics.map((topic) =>
      redis
        .eval(RETIRE_SCRIPT, 1, topic, name.group, name.consumer)
        .catch((error: unknown) => logger.debug('Removing the consumer name from the group failed', { ...context, topic, error })),
    ),
  );
  await bounded(work, STOP_ACK_WAIT_MS);
}
