import { BrokerLoginRefusedError, BrokerUnreachableError } from '../../lib/errors/index.js';
import { redactUrl } from '../../lib/config/redact.js';
import { connectionFailure } from './failures.js';

/**
 * The URLs of a cluster's nodes, in the order to try them: from the node after the last one that
 * was connected, so that a reconnection after a drop tries the other nodes before the one that
 * dropped it, and the list wraps around. With one URL, always that one.
 *
 * @example
 * const nodes = new NodeRotation(['amqp://mq1', 'amqp://mq2']);
 * const model = await nodes.connect((url) => amqp.connect(url));
 */
export class NodeRotation {
  readonly #urls: readonly string[];
  /** Index of the URL the next attempt starts with. */
  #start = 0;
  #current: string;

  constructor(urls: readonly string[]) {
    this.#urls = urls;
    this.#current = urls[0] ?? '';
  }

  /** The node connected last (the first one before any connection): the one an outage names. */
  get current(): string {
    return this.#current;
  }

  /**
   * Opens a connection to the first node that answers, in {@link order}'s order, and notes it as
   * {@link connected}; when none answers, rejects with {@link failure} of every node's failure.
   * `credentialsGiven`: the login comes from `clientOptions.credentials`, not the URL, and a
   * refused login says so.
   */
  async connect<M>(open: (url: string) => Promise<M>, credentialsGiven = false): Promise<M> {
    const failures: ReturnType<typeof connectionFailure>[] = [];
    for (const url of this.order()) {
      try {
        const model = await open(url);
        this.connected(url);
        return model;
      } catch (error) {
        failures.push(connectionFailure(url, error, credentialsGiven));
      }
    }
    throw this.failure(failures);
  }

  /** Every URL once, starting where the next attempt should. */
  order(): string[] {
    return this.#urls.map((_, offset) => this.#urls[(this.#start + offset) % this.#urls.length] as string);
  }

  /** The connection to `url` is open: after it drops, the next attempt starts with the node after it. */
  connected(url: string): void {
    this.#current = url;
    this.#start = (this.#urls.indexOf(url) + 1) % this.#urls.length;
  }

  /** The URLs with their passwords masked, for log lines. */
  shown(): string {
    return this.#urls.map(redactUrl).join(', ');
  }

  /**
   * One error for a round in which no node answered: a refused login as it is (retrying another
   * node will not fix credentials), otherwise the last node's failure, naming every node tried.
   */
  failure(failures: readonly (BrokerUnreachableError | BrokerLoginRefusedError)[]): BrokerUnreachableError | BrokerLoginRefusedError {
    const refused = failures.find((failure) => failure instanceof BrokerLoginRefusedError);
    const last = failures.at(-1);
    if (refused !== undefined) return refused;
    if (last === undefined || failures.length === 1) return last ?? new BrokerUnreachableError('RabbitMQ', this.shown(), 'no URL to connect to.');
    const url = this.order().at(-1) ?? '';
    return new BrokerUnreachableError('RabbitMQ', url, `none of the ${failures.length} nodes answered (${this.shown()}); the last said: ${last.message}`, { cause: last });
  }
}
