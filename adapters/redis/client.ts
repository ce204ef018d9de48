import type { Redis, RedisOptions } from 'ioredis';

/**
 * What the adapter uses of an ioredis client: the commands it sends and the events it watches.
 * Both a single-server `Redis` and a `Cluster` have them, so every unit works with either. Each
 * command the adapter sends names keys of one hash slot (one stream), so that a cluster can
 * route it; pipelines hold commands on one stream only.
 */
export type RedisClient = Pick<
  Redis,
  'xadd' | 'xack' | 'xclaim' | 'xgroup' | 'xinfo' | 'xpending' | 'xreadgroupBuffer' | 'callBuffer' | 'eval' | 'pipeline' | 'defineCommand' | 'disconnect' | 'info'
> & {
  /** ioredis's connection state: `ready` while commands can go out at once. */
  readonly status: string;
  /** A connection failed (a cluster client's own, or the one to its seed nodes). */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** `ready`: commands go out at once again; `+node`: a cluster client connected to a node. */
  on(event: 'ready' | '+node', listener: () => void): unknown;
  /** A cluster client's connection to the node `node` (`host:port`) failed. */
  on(event: 'node error', listener: (error: Error, node: string) => void): unknown;
};

/** Where and how a client connects: the validated options that concern it. */
export interface ClientTarget {
  /** One server's URL, seed nodes of a Redis Cluster, or the Sentinels. */
  readonly url: readonly string[];
  readonly cluster: boolean;
  /** The primary's name at the Sentinels of `url`; undefined without Sentinel. */
  readonly sentinel?: string | undefined;
  readonly clientOptions: Readonly<Record<string, unknown>>;
  readonly clusterOptions: Readonly<Record<string, unknown>>;
}

/** A command fails within about a second while its server is unreachable, instead of waiting indefinitely. */
const clientDefaults = { maxRetriesPerRequest: 3, connectTimeout: 5000 };

/**
 * With Sentinel, the client also listens for the Sentinels' `+switch-master`, so that it leaves
 * a demoted primary as soon as they announce the new one, rather than when that connection drops
 * (a primary cut off by a partition, or one restarted as a replica, keeps its clients).
 */
const sentinelDefaults = { failoverDetector: true };

/** Sentinel's default port, for Sentinel URLs that name none. */
const SENTINEL_PORT = 26379;

/**
 * A new ioredis client for `target`: a `Redis` for one server or a Sentinel-managed primary, a
 * `Cluster` (which follows `MOVED` and `ASK` and refreshes its slot map) for a Redis Cluster.
 * Replies are parsed in ioredis's legacy (RESP2-shaped) mapping, whatever the options say: the
 * adapter reads those shapes.
 *
 * @example
 * const client = newClient(await import('ioredis'), { url: ['redis://127.0.0.1:6379'], cluster: false, clientOptions: {}, clusterOptions: {} });
 */
export function newClient(ioredis: Pick<typeof import('ioredis'), 'Redis' | 'Cluster'>, target: ClientTarget): RedisClient {
  const [first] = target.url;
  if (target.sentinel !== undefined) return sentinelClient(ioredis, target, target.sentinel);
  if (!target.cluster) {
    const options = { ...clientDefaults, ...target.clientOptions, replyMapping: 'legacy' } as RedisOptions & { replyMapping: 'legacy' };
    return new ioredis.Redis(first as string, options);
  }
  // The cluster client connects to the nodes it discovers with `redisOptions` alone: credentials
  // and TLS given in the seed URLs would reach only the seeds.
  const fromUrl = nodeOptionsOf(first as string);
  const redisOptions = { ...clientDefaults, ...fromUrl, ...target.clientOptions, replyMapping: 'legacy' };
  const options = { ...target.clusterOptions, redisOptions, replyMapping: 'legacy' } as ConstructorParameters<typeof ioredis.Cluster<'legacy'>>[1];
  return new ioredis.Cluster<'legacy'>([...target.url], options);
}

/**
 * A `Redis` client that asks the Sentinels of `target.url` for the primary named `name`, checks
 * that the server it reaches is a primary (`role: 'master'`) and asks again after each
 * disconnection. The first URL's user and password go to both the Sentinels and the primary,
 * and `rediss:` turns TLS on for both; `clientOptions` override any of it.
 */
function sentinelClient(ioredis: Pick<typeof import('ioredis'), 'Redis'>, target: ClientTarget, name: string): RedisClient {
  const fromUrl = nodeOptionsOf(target.url[0] as string);
  const forSentinels: Record<string, unknown> = {};
  if (fromUrl.username !== undefined) forSentinels.sentinelUsername = fromUrl.username;
  if (fromUrl.password !== undefined) forSentinels.sentinelPassword = fromUrl.password;
  if (fromUrl.tls !== undefined) Object.assign(forSentinels, { sentinelTLS: {}, enableTLSForSentinelMode: true });
  // The database number of the URL's path (`redis://sentinel:26379/2`), as for a single server.
  const db = Number(/^\/(\d+)$/.exec(new URL(target.url[0] as string).pathname)?.[1] ?? 0);
  const sentinels = target.url.map((url) => {
    const { hostname, port } = new URL(url);
    return { host: hostname.replace(/^\[(.*)\]$/, '$1'), port: port === '' ? SENTINEL_PORT : Number(port) };
  });
  const options = { ...clientDefaults, ...sentinelDefaults, ...forSentinels, ...fromUrl, db, ...target.clientOptions, sentinels, name, role: 'master', replyMapping: 'legacy' };
  return new ioredis.Redis(options as RedisOptions & { replyMapping: 'legacy' });
}

/** The user, password and TLS a node URL asks for, as ioredis connection options. */
function nodeOptionsOf(url: string): Record<string, unknown> {
  const parsed = new URL(url);
  const options: Record<string, unknown> = {};
  if (parsed.username !== '') options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

/**
 * The error code Redis put at the start of its error reply (`MOVED`, `NOGROUP`, `BUSYGROUP`),
 * or undefined for an error that is not a reply of Redis's. Redis's protocol has no other code
 * field: the first word of the reply is its code.
 *
 * @example
 * replyCode(error) === 'BUSYGROUP'; // the group exists already
 */
export function replyCode(error: unknown): string | undefined {
  if (!(error instanceof Error) || error.name !== 'ReplyError') return undefined;
  return /^[A-Z]+(?=\s|$)/.exec(error.message)?.[0];
}
