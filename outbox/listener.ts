import type { Logger } from '../lib/config/logger.js';
import type { OutboxNotification, OutboxPool, OutboxPoolClient } from './pool.js';
import { quote } from './table-name.js';

/**
 * The relay's LISTEN connection, held out of the pool while the relay runs. When it breaks it
 * is destroyed, the relay is woken (a notification may have been lost), and {@link ensure}
 * opens a new one on the relay's next turn; until then the relay polls.
 *
 * @example
 * const listener = new NotificationListener(pool, 'eventwire_outbox', logger, () => wakeup.notify());
 * await listener.ensure(); … await listener.close();
 */
export class NotificationListener {
  readonly #pool: OutboxPool;
  readonly #channel: string;
  readonly #logger: Logger;
  readonly #onNotify: () => void;
  #client: OutboxPoolClient | undefined;
  /** Whether the last attempt failed, so that an outage is logged once, not at every turn. */
  #failing = false;
  #closed = false;
  /** The LISTEN being opened: lanes that ensure at once share it, so one connection listens. */
  #opening: Promise<void> | undefined;

  constructor(pool: OutboxPool, channel: string, logger: Logger, onNotify: () => void) {
    this.#pool = pool;
    this.#channel = channel;
    this.#logger = logger;
    this.#onNotify = onNotify;
  }

  /** Listens unless it already does; a failure is logged and left for the next call. */
  ensure(): Promise<void> {
    if (this.#client !== undefined || this.#closed) return Promise.resolve();
    return (this.#opening ??= this.#open().finally(() => (this.#opening = undefined)));
  }

  async #open(): Promise<void> {
    let client: OutboxPoolClient | undefined;
    try {
      client = await this.#pool.connect();
      client.on('error', this.#onError);
      client.on('notification', this.#onNotification);
      await client.query(`LISTEN ${quote(this.#channel)}`);
    } catch (error) {
      if (client !== undefined) this.#detach(client, error instanceof Error ? error : new Error(String(error)));
      if (!this.#failing) this.#logger.warn('outbox relay: LISTEN failed; polling until it works again', { channel: this.#channel, error });
      this.#failing = true;
      return;
    }
    if (this.#closed) return this.#detach(client, true);
    if (this.#failing) this.#logger.info('outbox relay: listening again', { channel: this.#channel });
    this.#failing = false;
    this.#client = client;
  }

  /** Stops listening and gives the connection back (destroyed: it held a LISTEN). */
  async close(): Promise<void> {
    this.#closed = true;
    const client = this.#client;
    this.#client = undefined;
    if (client !== undefined) this.#detach(client, true);
  }

  readonly #onNotification = (message: OutboxNotification): void => {
    if (message.channel === this.#channel) this.#onNotify();
  };

  readonly #onError = (error: Error): void => {
    const client = this.#client;
    this.#client = undefined;
    if (client === undefined) return;
    this.#logger.warn('outbox relay: the LISTEN connection broke; polling until it is back', { channel: this.#channel, error });
    this.#failing = true;
    this.#detach(client, error);
    this.#onNotify();
  };

  #detach(client: OutboxPoolClient, destroy: true | Error): void {
    client.removeListener('notification', this.#onNotification);
    client.removeListener('error', this.#onError);
    // Still listening for errors: a destroyed connection may report one more, which is expected.
    client.on('error', ignore);
    client.release(destroy);
  }
}

function ignore(): void {}
