import { Redis, type RedisOptions } from 'ioredis';
import { addresses } from '../config.js';

/**
 * Redis Streams with ioredis alone: what a team would write by hand with the same guarantees as
 * eventwire (XADD acknowledged by the server; XREADGROUP + XACK after the handler).
 */

type Entry = [id: Buffer, fields: Buffer[]];

export const connectRedis = (): Redis => new Redis(addresses.redis, { replyMapping: 'legacy', maxRetriesPerRequest: 3 } as RedisOptions & { replyMapping: 'legacy' });

export async function redisSend(redis: Redis, stream: string, value: Buffer): Promise<void> {
  await redis.xadd(stream, '*', 'value', value);
}

/** One pipeline of XADDs, awaited as a whole. */
export async function redisSendBatch(redis: Redis, stream: string, values: readonly Buffer[], field = 'value'): Promise<void> {
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
 * A consumer-group loop with up to `concurrency` handlers at once, each entry acknowledged with
 * XACK after its handler resolved: eventwire's at-least-once semantics without its extras.
 */
export async function redisConsume(stream: string, group: string, concurrency: number, handle: (value: Buffer) => Promise<void>): Promise<{ stop(): Promise<void> }> {
  const commands = connectRedis();
  const reader = connectRedis();
  await commands.xgroup('CREATE', stream, group, '$', 'MKSTREAM');
  const running = new Set<Promise<void>>();
  let stopped = false;
  let wake = (): void => {};
  const run = async (id: Buffer, fields: Buffer[]): Promise<void> => {
    const at = fields.findIndex((field, index) => index % 2 === 0 && field.toString() === 'value');
    await handle(fields[at + 1] ?? Buffer.alloc(0));
    await commands.xack(stream, group, id);
  };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const room = concurrency - running.size;
      if (room <= 0) {
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      const reply = (await reader.xreadgroupBuffer('GROUP', group, 'bench', 'COUNT', room, 'BLOCK', 500, 'STREAMS', stream, '>')) as [Buffer, Entry[]][] | null;
      for (const [, entries] of reply ?? []) {
        for (const [id, fields] of entries) {
          const task: Promise<void> = run(id, fields).finally(() => {
            running.delete(task);
            wake();
          });
          running.add(task);
        }
      }
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
      await Promise.allSettled([...running]);
      commands.disconnect();
    },
  };
}

/** Deletes every key that starts with `prefix`. */
export async function redisCleanup(prefix: string): Promise<void> {
  const redis = connectRedis();
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
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
