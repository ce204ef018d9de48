import { consoleLogger, type Logger } from '../../lib/config/logger.js';
import { InvalidArgumentError } from '../../lib/errors/index.js';
import { expectBoolean, expectInteger, expectKnownKeys, expectLogger, expectObject, expectString, expectUrls, withDefault } from '../../lib/config/validate.js';
import { expectDelay } from '../../lib/config/expect-delay.js';

/**
 * Options of `createRedisBroker`.
 *
 * @example
 * const options: RedisBrokerOptions = { url: 'redis://127.0.0.1:6379', claimIdleMs: 10_000 };
 */
export interface RedisBrokerOptions {
  /**
   * A `redis://` or `rediss://` URL, or a Redis Cluster's nodes as a list of them (two or more
   * make the adapter use ioredis's cluster client; see `cluster`), or, with `sentinel`, the
   * Sentinels' addresses (port 26379 when none is given). Logs show them with the password
   * redacted.
   */
  readonly url: string | readonly string[];
  /**
   * The name the Sentinels monitor the primary under (their `sentinel monitor <name> …`): `url`
   * then lists Sentinels, and the adapter uses ioredis's Sentinel support, which asks them for
   * the primary, connects to it (checking that it is one) and, after a failover, to the replica
   * promoted in its place. A user and password in the first URL authenticate to the Sentinels
   * and to the primary alike (`clientOptions.sentinelPassword` or `password` tell them apart).
   * Default: none (no Sentinel). Env `REDIS_SENTINEL_NAME` under `configureMessaging`.
   */
  readonly sentinel?: string;
  /**
   * True: `url` names nodes of a Redis Cluster (one is enough to find the others, more let the
   * client start while one is down), and the adapter uses ioredis's cluster client, which follows
   * `MOVED` and `ASK`. Default: true when `url` lists two or more nodes, else false.
   */
  readonly cluster?: boolean;
  /**
   * Passed to ioredis's cluster client (`natMap`, `scaleReads`, `slotsRefreshTimeout`…) when
   * `cluster` is on; never logged. The options of each node's connection go in `clientOptions`.
   */
  readonly clusterOptions?: Readonly<Record<string, unknown>>;
  /**
   * Passed to ioredis (TLS, password, retry strategy), for each node's connection on a cluster;
   * never logged. Overrides the adapter's
   * defaults `maxRetriesPerRequest: 3` and `connectTimeout: 5000`, which make a command fail within
   * about a second while Redis is unreachable instead of waiting indefinitely. Only `replyMapping`
   * stays `legacy`: the adapter parses those reply shapes.
   */
  readonly clientOptions?: Readonly<Record<string, unknown>>;
  /**
   * An entry left pending this long by a member that went silent (crashed, or stopped while it
   * held the entry) is taken over by another member with XAUTOCLAIM. Default 30000.
   */
  readonly claimIdleMs?: number;
  /**
   * Minimum time between a delivery the handler chain rejected (left unacknowledged) and its
   * redelivery. The rejecting member keeps the entry (its heartbeat stops other members from
   * claiming it, whatever `claimIdleMs` is) and takes it again with XCLAIM after this delay; a
   * member that stops meanwhile leaves it to `claimIdleMs`. Default: 1000, or half of
   * `claimIdleMs` when that is shorter (at least 10).
   */
  readonly redeliveryDelayMs?: number;
  /** How long one XREADGROUP waits for new entries. Default 2000. */
  readonly blockMs?: number;
  /**
   * Trims each stream to about this many entries on every publish (`MAXLEN ~`). Trimming ignores
   * consumer groups: it can delete entries that a group has not read yet. Default: no trimming.
   */
  readonly maxLen?: number;
  /**
   * Appends a batch (the fire-and-forget path sends one per topic per event-loop turn) with one
   * Lua script call instead of a pipeline of XADDs: about half the client's CPU per message, and
   * one command for Redis to parse. Set `false` where the Redis user may not run scripts (an ACL
   * without `@scripting`): batches then go as pipelined XADDs. Default true.
   */
  readonly batchScript?: boolean;
  readonly logger?: Logger;
}

/** The validated options, defaults filled in. */
export interface RedisSettings {
  /** The node URLs: one for a single server, the seed nodes of a Redis Cluster, or the Sentinels. */
  readonly url: readonly string[];
  readonly cluster: boolean;
  /** The primary's name at the Sentinels of `url`, or undefined without Sentinel. */
  readonly sentinel: string | undefined;
  readonly clusterOptions: Readonly<Record<string, unknown>>;
  readonly clientOptions: Readonly<Record<string, unknown>>;
  readonly logger: Logger;
  readonly claimIdleMs: number;
  readonly blockMs: number;
  readonly maxLen: number | undefined;
  readonly batchScript: boolean;
  /** Period of the heartbeat and XAUTOCLAIM: half of `claimIdleMs`, at least 10 ms. */
  readonly tickMs: number;
  /** Delay before a rejected entry is taken again (see {@link RedisBrokerOptions.redeliveryDelayMs}). */
  readonly redeliveryDelayMs: number;
}

/** What `brokerOptions` may hold for Redis under `configureMessaging`. */
export const redisTunables: readonly string[] = ['claimIdleMs', 'redeliveryDelayMs', 'blockMs', 'maxLen', 'batchScript', 'cluster', 'clusterOptions', 'sentinel'];

const redisOptionNames: readonly string[] = ['url', 'clientOptions', 'logger', ...redisTunables];

/**
 * Checks `options` and fills in the defaults; throws an `InvalidArgumentError` naming the option.
 *
 * @example
 * const settings = validateRedisOptions({ url: 'redis://127.0.0.1:6379' });
 */
export function validateRedisOptions(options: RedisBrokerOptions): RedisSettings {
  const raw = expectObject('options', options);
  expectKnownKeys('createRedisBroker options', raw, redisOptionNames);
  const claimIdleMs = expectDelay('claimIdleMs', withDefault(raw.claimIdleMs, 30_000), 1);
  const tickMs = Math.max(10, Math.floor(claimIdleMs / 2));
  const url = expectUrls('url', raw.url, ['redis:', 'rediss:']);
  const sentinel = raw.sentinel === undefined ? undefined : expectString('sentinel', raw.sentinel);
  const cluster = expectBoolean('cluster', withDefault(raw.cluster, url.length > 1 && sentinel === undefined));
  const clientOptions = expectObject('clientOptions', withDefault(raw.clientOptions, {}));
  checkSentinel(sentinel, cluster, clientOptions);
  if (!cluster && url.length > 1 && sentinel === undefined) {
    throw new InvalidArgumentError('cluster', `\`url\` lists ${url.length} nodes, which only a Redis Cluster client (or Sentinel, with \`sentinel\`) can use: remove \`cluster: false\`, or give one URL for a single Redis server.`);
  }
  const clusterOptions = expectObject('clusterOptions', withDefault(raw.clusterOptions, {}));
  if (!cluster && raw.clusterOptions !== undefined) {
    throw new InvalidArgumentError('clusterOptions', '`clusterOptions` only applies to a Redis Cluster: list its nodes in `url` or set `cluster: true`, or remove `clusterOptions`.');
  }
  if ('redisOptions' in clusterOptions) {
    throw new InvalidArgumentError('clusterOptions', 'Put the options of each node\'s connection in `clientOptions`, not in `clusterOptions.redisOptions`.');
  }
  return {
    url: Object.freeze(url),
    cluster,
    sentinel,
    clusterOptions,
    clientOptions,
    logger: expectLogger('logger', withDefault(raw.logger, consoleLogger)),
    claimIdleMs,
    blockMs: expectDelay('blockMs', withDefault(raw.blockMs, 2000), 1),
    maxLen: raw.maxLen === undefined ? undefined : expectInteger('maxLen', raw.maxLen, 1),
    batchScript: expectBoolean('batchScript', withDefault(raw.batchScript, true)),
    tickMs,
    redeliveryDelayMs: expectDelay('redeliveryDelayMs', withDefault(raw.redeliveryDelayMs, Math.min(1000, tickMs)), 0),
  };
}

/**
 * Sentinel's settings have one place each: the Sentinels in `url`, the primary's name in
 * `sentinel`. ioredis's own `sentinels` and `name` in `clientOptions` would silently replace
 * them, and a Redis Cluster has no Sentinel.
 */
function checkSentinel(sentinel: string | undefined, cluster: boolean, clientOptions: Record<string, unknown>): void {
  if (sentinel !== undefined && cluster) {
    throw new InvalidArgumentError('sentinel', '`sentinel` names a primary that Sentinels manage, and a Redis Cluster has none: remove `cluster: true` for Sentinel, or `sentinel` for a Redis Cluster.');
  }
  for (const key of ['sentinels', 'name'] as const) {
    if (key in clientOptions) {
      throw new InvalidArgumentError('clientOptions', `Give the Sentinels' addresses in \`url\` and the primary's name in \`sentinel\`, not \`clientOptions.${key}\`.`);
    }
  }
}
