import type { OutgoingMessage } from '../../lib/broker.js';
import type { RedisClient } from './client.js';
import { encode, firstError } from './codec.js';

/**
 * Appends the entries of a batch to one stream, in order; it touches no other key, so it runs on
 * a Redis Cluster too. KEYS[1]: the stream. ARGV[1]: the
 * approximate MAXLEN, or '' for none. Then, per entry, the number of field/value pairs followed
 * by the pairs: the same fields a single XADD writes.
 */
const APPEND_SCRIPT = `
local stream, maxlen, last = KEYS[1], ARGV[1], #ARGV
local at, appended = 2, 0
while at <= last do
  local fields = tonumber(ARGV[at])
  if maxlen == '' then
    redis.call('XADD', stream, '*', unpack(ARGV, at + 1, at + 2 * fields))
  else
    redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', unpack(ARGV, at + 1, at + 2 * fields))
  end
  at = at + 1 + 2 * fields
  appended = appended + 1
end
return appended
`;

/** The client with the append script defined on it (ioredis sends EVALSHA, and EVAL once on NOSCRIPT). */
type ScriptedRedis = RedisClient & {
  eventwireAppend(stream: string, maxLen: string | number, ...entries: (string | number | Buffer)[]): Promise<number>;
};

/**
 * Defines the append script on a new client, so that {@link appendBatch} can call it.
 *
 * @example
 * const client = new Redis(url); defineAppendScript(client);
 */
export function defineAppendScript(client: RedisClient): void {
  client.defineCommand('eventwireAppend', { numberOfKeys: 1, lua: APPEND_SCRIPT });
}

/** How {@link appendBatch} writes: the stream cap and whether batches go as one script call. */
export interface AppendOptions {
  readonly maxLen: number | undefined;
  readonly batchScript: boolean;
}

/**
 * Appends `messages` to the stream `topic`, in order; resolves once Redis stored them all and
 * rejects with Redis's first error (the core wraps it in a PublishError). One message (every
 * awaited send) goes as a plain XADD, which resolves with Redis's reply or rejects with its
 * error, without a pipeline's bookkeeping; a batch as one script call, or pipelined XADDs.
 *
 * @example
 * await appendBatch(redis, 'orders', messages, { maxLen: undefined, batchScript: true });
 */
export async function appendBatch(redis: RedisClient, topic: string, messages: readonly OutgoingMessage[], options: AppendOptions): Promise<void> {
  const { maxLen, batchScript } = options;
  const trim = maxLen === undefined ? [] : ['MAXLEN', '~', maxLen];
  const [first] = messages;
  if (messages.length === 1 && first !== undefined) {
    await redis.xadd(topic, ...trim, '*', ...encode(first));
    return;
  }
  if (batchScript) {
    const entries: (string | number | Buffer)[] = [];
    for (const message of messages) {
      const fields = encode(message);
      entries.push(fields.length / 2, ...fields);
    }
    await (redis as ScriptedRedis).eventwireAppend(topic, maxLen ?? '', ...entries);
    return;
  }
  const pipeline = redis.pipeline();
  for (const message of messages) pipeline.xadd(topic, ...trim, '*', ...encode(message));
  const failure = firstError(await pipeline.exec());
  if (failure !== undefined) throw failure;
}
