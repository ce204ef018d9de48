import type { Broker, BrokerCapabilities, HealthReporter, LagReporter } from '../../lib/broker.js';
import { MessagingClosedError } from '../../lib/errors/index.js';
import { mayPublish } from '../publish-guard.js';
import { ensureGroups, RedisConnection } from './connection.js';
import { redisLag } from './lag.js';
import { RedisMember } from './member.js';
import { validateRedisOptions, type RedisBrokerOptions } from './options.js';
import { appendBatch } from './publish.js';

export type { RedisBrokerOptions } from './options.js';

const capabilities: BrokerCapabilities = { persistent: true, deliveryCount: true, keyAffinity: false };

/**
 * A broker on Redis Streams (Redis 6.2 or later), on one server or a Redis Cluster (`cluster`,
 * or `url` listing its nodes: ioredis's cluster client, which follows `MOVED` and `ASK`). Connects
 * on first use.
 *
 * - One stream per topic, named after it. An entry holds `value` (the payload bytes), `key` (only
 *   when set) and `headers` (a JSON object of strings, only when not empty): see codec.ts.
 * - One consumer group per group id, created at the end of the stream. Each subscription is a
 *   consumer of its own name that reads with a blocking XREADGROUP on a dedicated connection
 *   (member.ts, read-loop.ts); on a cluster, one connection per topic, since one XREADGROUP may
 *   only name streams of one hash slot.
 * - Every command, script and pipeline names one stream, so it stays within one hash slot on a
 *   cluster. Key names are the same on a cluster as on one server; a dead letter goes to the
 *   stream `<topic>.dlq` with its own XADD (no command spans both streams).
 * - An entry is acknowledged (XACK) once its callback resolved: the entries of a topic handled
 *   in one event-loop turn share one XACK, sent at the end of that turn (ack-batcher.ts). Its
 *   slot (`concurrency`) is free for the next entry at once; the entry stays held (heartbeat
 *   included) until Redis answered. Stopping and close() wait for those XACKs to be sent and
 *   answered, each for at most STOP_ACK_WAIT_MS, so that none is cut off half-way; callbacks that
 *   finish after close() send none.
 * - A rejected entry stays with its member, which takes it again with XCLAIM after
 *   `redeliveryDelayMs` (options.ts). One left pending by a member that died or stopped is taken
 *   over with XAUTOCLAIM once idle for `claimIdleMs`, checked every `claimIdleMs / 2` (claim-loop.ts).
 * - lag: `XINFO GROUPS` per stream, Redis's own count of entries not yet delivered to the group (lag.ts).
 * - `persistent` holds for a server with AOF (`appendonly yes`); without it a restart loses entries.
 *
 * @example
 * const broker = createRedisBroker({ url: 'redis://127.0.0.1:6379', maxLen: 1_000_000 });
 */
export function createRedisBroker(options: RedisBrokerOptions): Broker & HealthReporter & LagReporter {
  const settings = validateRedisOptions(options);
  const connection = new RedisConnection(settings, settings.logger);
  const members = new Set<RedisMember>();

  return {
    name: 'redis',
    capabilities,
    health: () => connection.health(),
    async lag(groupId, topics) {
      if (connection.closed) throw new MessagingClosedError();
      const redis = await connection.shared();
      connection.assertUsable(redis);
      return redisLag(redis, groupId, topics).catch(async (error: unknown) => {
        throw await connection.explain(redis, error);
      });
    },
    async publish(topic, messages, signal) {
      if (!mayPublish(connection.closed, messages, signal)) return;
      const redis = await connection.shared();
      connection.assertUsable(redis);
      // The signal is checked up to the last moment before sending: a batch handed to Redis cannot
      // be recalled, and the client options bound how long its replies can take.
      signal?.throwIfAborted();
      // Redis's own error, or what it means for the user: the core words the PublishError.
      await appendBatch(redis, topic, messages, settings).catch(async (error: unknown) => {
        throw await connection.explain(redis, error);
      });
    },
    async subscribe(request, deliver) {
      if (connection.closed) throw new MessagingClosedError();
      const redis = await connection.shared();
      connection.assertUsable(redis);
      await ensureGroups(redis, request.topics, request.groupId).catch(async (error: unknown) => {
        throw await connection.explain(redis, error);
      });
      if (request.signal.aborted) return { closed: Promise.resolve() };
      const readers = await connection.readers([...new Set(request.topics)]);
      const member = new RedisMember(request, deliver, { connection, redis, readers, settings });
      members.add(member);
      void member.closed.then(() => members.delete(member));
      return member.start();
    },
    async close() {
      if (connection.closed) return;
      // XACKs already sent are answered before the connections go (each within STOP_ACK_WAIT_MS),
      // so that none is cut off half-way; callbacks still running send none.
      await connection.close(() => {
        const stopping = [...members];
        for (const member of stopping) member.stop();
        return Promise.all(stopping.map((member) => member.closed));
      });
    },
  };
}
