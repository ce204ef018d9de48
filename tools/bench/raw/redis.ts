import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { addresses, nodeUrls } from '../config.js';

/**
 * Redis Streams with ioredis alone: what a team would write by hand with the same guarantees as
 * eventwire (XADD acknowledged by the server; XREADGROUP, and XACK sent after the handler).
 */

type Entry = [id: Buffer, fields: Buffer[]];

/** A single server's client or a Redis Cluster's: every command here names one stream, so one slot. */
export type RedisClient = Redis | Cluster;

const nodeOptions = { replyMapping: 'legacy', maxRetriesPerRequest: 3 } as RedisOptions & { replyMapping: 'legacy' };

/**
 * A client of `REDIS_URL`: ioredis's cluster client when it lists two or more nodes, as eventwire
 * picks it (each node's connection with the same options as the single-server client).
 */
export function connectRedis(): RedisClient {
  const nodes = nodeUrls(addresses.redis);
  if (nodes.length < 2) return new Redis(addresses.redis, nodeOptions);
  return new Cluster(nodes, { redisOptions: nodeOptions, replyMapping: 'legacy' } as ConstructorParameters<typeof Cluster<'legacy'>>[1]);
}

export async function redisSend(redis: RedisClient, stream: string, value: Buffer): Promise<void> {
  await redis.xadd(stream, '*', 'value', value);
}

/** One pipeline of XADDs, awaited as a whole. */
export async function redisSendBatch(redis: RedisClient, stream: string, values: readonly Buffer[], field = 'value'): Promise<void> {
  const pipeline = redis.pipeline();
  for (const value of values) pipeline.xadd(stream, '*', field, value);
  const replies = await pipeline.exec();
  const failure = replies?.find(([error]) => error !== null)?.[0];
  if (failure) throw failure;
}

/** Appends `count` copies of `value` under `field` (eventwire writes `value`; Moleculer `payload`). */
export async function redisPrefill(stream: string, field: string, count: number, value: Buffer): Promise<void> {
  const redis = connectRedis();
  try {
    for (let done = 0; done < count; done += 500) {
      await redisSendBatch(redis, stream, Array.from({ length: Math.min(500, count - done) }, () => value), field);
    }
  } finally {
    redis.disconnect();
  }
}

/**
 * A consumer-group loop with up to `concurrency` handlers at once. Each entry's XACK is sent once
 * its handler resolved, and its slot is free for the next entry at once, without waiting for
 * Redis's reply: at-least-once all the same (an entry whose XACK is lost stays pending and is
 * delivered again), as eventwire does. A failed XACK is reported; stopping waits for the replies.
 */
export async function redisConsume(stream: string, group: string, concurrency: number, handle: (value: Buffer) => Promise<void>): Promise<{ stop(): Promise<void> }> {
  const commands = connectRedis();
  const reader = connectRedis();
  await commands.xgroup('CREATE', stream, group, '$', 'MKSTREAM');
  const acks = new Set<Promise<void>>();
  let running = 0;
  let stopped = false;
  let wake = (): void => {};
  const acknowledge = (id: Buffer): void => {
    const ack: Promise<void> = commands.xack(stream, group, id).then(
      () => void acks.delete(ack),
      (error: unknown) => {
        acks.delete(ack);
        console.error('XACK failed; the entry will be delivered again', error);
      },
    );
    acks.add(ack);
  };
  const run = (id: Buffer, fields: Buffer[]): void => {
    running += 1;
    const at = fields.findIndex((field, index) => index % 2 === 0 && field.toString() === 'value');
    handle(fields[at + 1] ?? Buffer.alloc(0))
      .then(() => acknowledge(id))
      .catch((error: unknown) => console.error('handler failed; the entry stays pending', error))
      .finally(() => {
        running -= 1;
        wake();
      });
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const room = concurrency - running;
      if (room <= 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const reply = (await reader.xreadgroupBuffer('GROUP', group, 'bench', 'COUNT', room, 'BLOCK', 500, 'STREAMS', stream, '>')) as [Buffer, Entry[]][] | null;
      for (const [, entries] of reply ?? []) for (const [id, fields] of entries) run(id, fields);
    }
  };
  const reading = loop().catch((error: unknown) => {
    if (!stopped) throw error;
  });
  return {
    async stop() {
      stopped = true;
      wake();
      reader.disconnect();
      await reading;
      while (running > 0) await new Promise<void>((resolve) => (wake = resolve));
      await Promise.all([...acks]);
      commands.disconnect();
    },
  };
}

/**
 * Deletes every key that starts with `prefix`: on a Redis Cluster, scanned on each primary and
 * deleted one key at a time (a multi-key DEL must stay within one slot).
 */
export async function redisCleanup(prefix: string): Promise<void> {
  const redis = connectRedis();
  try {
    const servers = redis instanceof Cluster ? await primariesOf(redis) : [redis];
    for (const server of servers) {
      let cursor = '0';
      do {
        const [next, keys] = await server.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
        cursor = next;
        for (const key of keys) await server.del(key);
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}

/** The cluster's primaries, once the client has its slot map. */
async function primariesOf(cluster: Cluster): Promise<Redis[]> {
  if (cluster.status !== 'ready') await new Promise<void>((resolve, reject) => cluster.once('ready', resolve).once('error', reject));
  return cluster.nodes('master');
}

export async function redisVersion(): Promise<string> {
  const redis = connectRedis();
  try {
    const info = await redis.info('server');
    return /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown';
  } finally {
    redis.disconnect();
  }
}
