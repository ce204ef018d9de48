import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * An in-process TCP proxy on 127.0.0.1 that fault scenarios put between clients and a broker.
 *
 * - `cut()` resets every open socket pair (client side and broker side), as a dropped link
 *   or a restarted load balancer would. New connections go through again at once.
 * - `blackhole()` keeps every socket open but forwards nothing, in either direction, and sends
 *   no FIN: the clients see a silent peer, as in a network partition. Connections opened during
 *   a blackhole are accepted and held the same way (their bytes wait in the proxy).
 * - `restore()` ends a blackhole: held bytes flow again, in order. A pair whose one side closed
 *   during the blackhole is reset instead, without forwarding what it held: the partition ate it.
 * - `refuse(true)` resets every new connection at once, as a broker that is down would;
 *   `refuse(false)` accepts them again. Open connections are left alone (see `cut()`).
 * - `close()` stops listening and resets everything.
 *
 * @example
 * const proxy = await createProxy(target.port);
 * const broker = target.connect({ port: proxy.port });
 * proxy.blackhole(); await sleep(3000); proxy.restore();
 */
export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** Port it forwards to (127.0.0.1). */
  readonly targetPort: number;
  /** Socket pairs currently open. */
  readonly connections: number;
  /** Connections accepted since creation. */
  readonly accepted: number;
  readonly blackholed: boolean;
  cut(): void;
  refuse(on: boolean): void;
  blackhole(): void;
  restore(): void;
  close(): Promise<void>;
}

/**
 * Watches the bytes of one connection, for a test that acts on what the protocol says (say,
 * cutting the connection that carries the answer to a given request).
 *
 * @example
 * const tap: ConnectionTap = { toBroker: (chunk) => void requests.push(chunk), toClient: () => !cutNext };
 */
export interface ConnectionTap {
  /**
   * Sees each chunk the client sends, before it is forwarded; may return the bytes to forward
   * instead (an empty buffer forwards nothing).
   */
  toBroker?(chunk: Buffer): Buffer | undefined;
  /** Sees each chunk the broker sends; false resets the connection instead of forwarding it. */
  toClient?(chunk: Buffer): boolean;
}

/**
 * Options of {@link createProxy}.
 *
 * @example
 * await createProxy(9092, { tap: () => ({ toClient: () => true }) });
 */
export interface ProxyOptions {
  /** Makes a tap for each new connection. */
  readonly tap?: () => ConnectionTap;
}

interface Pair {
  readonly client: Socket;
  readonly tap: ConnectionTap | undefined;
  /** Undefined while a connection accepted during a blackhole waits for restore(). */
  upstream: Socket | undefined;
  /** One side closed while blackholed: reset the pair on restore instead of flushing it. */
  broken: boolean;
}

/**
 * Starts a proxy forwarding a free port of 127.0.0.1 to 127.0.0.1:`targetPort`.
 *
 * @example
 * const proxy = await createProxy(5672);
 */
export async function createProxy(targetPort: number, options: ProxyOptions = {}): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let blackholed = false;
  let refusing = false;
  let accepted = 0;

  const reset = (socket: Socket | undefined): void => {
    if (socket === undefined || socket.destroyed) return;
    // RST rather than FIN: the peer sees ECONNRESET, as with a dropped link.
    if (typeof socket.resetAndDestroy === 'function' && socket.readyState !== 'opening') socket.resetAndDestroy();
    else socket.destroy();
  };

  const drop = (pair: Pair): void => {
    pairs.delete(pair);
    reset(pair.client);
    reset(pair.upstream);
  };

  /** One side went away: during a blackhole the other side must not learn it until restore(). */
  const lost = (pair: Pair): void => {
    if (blackholed) pair.broken = true;
    else drop(pair);
  };

  /** Forwards `from` to `to` with back-pressure; nothing moves while blackholed (both paused). */
  const forward = (pair: Pair, from: Socket, to: Socket): void => {
    const toClient = to === pair.client;
    from.on('data', (received: Buffer) => {
      let chunk = received;
      if (!toClient) chunk = pair.tap?.toBroker?.(received) ?? received;
      else if (pair.tap?.toClient?.(chunk) === false) return drop(pair);
      if (chunk.length === 0) return;
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!blackholed) from.resume();
        });
      }
    });
    // A half-close travels as one; 'end' is only emitted once the held bytes were read.
    from.on('end', () => to.end());
    from.on('close', () => lost(pair));
  };

  const link = (pair: Pair): void => {
    const upstream = connect({ host: '127.0.0.1', port: targetPort, allowHalfOpen: true });
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('error', () => lost(pair));
    forward(pair, pair.client, upstream);
    forward(pair, upstream, pair.client);
    pair.client.resume();
  };

  const server: Server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    accepted += 1;
    if (refusing) return reset(client);
    client.setNoDelay(true);
    const pair: Pair = { client, tap: options.tap?.(), upstream: undefined, broken: false };
    pairs.add(pair);
    client.on('error', () => lost(pair));
    if (blackholed) {
      // Held: the client believes it is connected; nothing reaches the broker until restore().
      client.once('close', () => lost(pair));
      return;
    }
    link(pair);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    targetPort,
    get connections() {
      return pairs.size;
    },
    get accepted() {
      return accepted;
    },
    get blackholed() {
      return blackholed;
    },
    cut() {
      for (const pair of [...pairs]) drop(pair);
    },
    refuse(on) {
      refusing = on;
    },
    blackhole() {
      if (blackholed) return;
      blackholed = true;
      for (const { client, upstream } of pairs) {
        client.pause();
        upstream?.pause();
      }
    },
    restore() {
      if (!blackholed) return;
      blackholed = false;
      for (const pair of [...pairs]) {
        if (pair.broken || pair.client.destroyed) drop(pair);
        else if (pair.upstream === undefined) link(pair);
        else {
          pair.client.resume();
          pair.upstream.resume();
        }
      }
    },
    async close() {
      for (const pair of [...pairs]) drop(pair);
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
