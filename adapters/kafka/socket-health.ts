import type { Socket } from 'node:net';
import type { BrokerHealth } from '../../lib/broker.js';

/**
 * The Kafka adapter's connection state, read from the sockets its clients open (every one goes
 * through the connection's socket factory): `connected` once one connected, `reconnecting` from a
 * socket error until a socket connects again (kafkajs retries on its own while it has work),
 * `idle` before the first socket. No round trip to the cluster.
 *
 * @example
 * const sockets = new SocketHealth(); sockets.watch(socket); sockets.health(false).state;
 */
export class SocketHealth {
  #state: 'idle' | 'connected' | 'reconnecting' = 'idle';
  #lastError: { readonly message: string; readonly at: string } | undefined;
  #closing = false;

  /** Follows one socket's connect and error events. */
  watch(socket: Socket): void {
    socket.once('connect', () => {
      this.#state = 'connected';
    });
    socket.on('error', (error: Error) => {
      // The adapter's own close destroys sockets with an error: that is no outage.
      if (this.#closing) return;
      this.#state = 'reconnecting';
      this.#lastError = { message: error.message, at: new Date().toISOString() };
    });
  }

  /** The adapter is closing: socket errors from here on are its own doing. */
  close(): void {
    this.#closing = true;
  }

  /** The state now. */
  health(): BrokerHealth {
    return { state: this.#closing ? 'closed' : this.#state, lastError: this.#lastError };
  }
}
