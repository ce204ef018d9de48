import { EventwireError } from './base.js';
import { redactSecrets, redactUrl } from '../config/redact.js';

/**
 * A connection to the broker failed; the message names the broker and its address, with the
 * password masked (`address`), and secrets are removed from the client library's detail.
 */
export abstract class BrokerConnectionError extends EventwireError {
  readonly address: string;
  constructor(
    readonly broker: string,
    address: string,
    what: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const shown = redactUrl(address);
    super(`${broker} at ${shown} ${what}: ${redactSecrets(detail)}`, options);
    this.address = shown;
  }
}

/**
 * The broker could not be reached: the connection was refused, timed out or dropped, or the
 * name did not resolve. `address` is shown with its password masked. A publish that fails
 * this way rejects with a {@link PublishError} whose `cause` is this error.
 *
 * @example
 * error instanceof BrokerUnreachableError; // "RabbitMQ at amqp://guest:***@mq:5672 is unreachable: connect ECONNREFUSED …"
 */
export class BrokerUnreachableError extends BrokerConnectionError {
  readonly code = 'EVENTWIRE_BROKER_UNREACHABLE';
  constructor(broker: string, address: string, detail: string, options?: { cause?: unknown }) {
    super(broker, address, 'is unreachable', detail, options);
  }
}

/**
 * The broker answered but refused the connection's login (user, password or virtual host).
 * `address` is shown with its password masked.
 *
 * @example
 * error instanceof BrokerLoginRefusedError; // "RabbitMQ at amqp://guest:***@mq:5672 refused the login: …"
 */
export class BrokerLoginRefusedError extends BrokerConnectionError {
  readonly code = 'EVENTWIRE_LOGIN_REFUSED';
  constructor(broker: string, address: string, detail: string, options?: { cause?: unknown }) {
    super(broker, address, 'refused the login', detail, options);
  }
}

/**
 * The broker holds a queue of eventwire's name whose arguments differ from the ones eventwire
 * declares (on RabbitMQ: a classic queue where `queueType: 'quorum'` asks for a quorum queue, or
 * the reverse). A queue's type cannot change in place; the message says which option keeps the
 * existing queue and where the migration is described. `queue` is the queue's name.
 *
 * @example
 * error instanceof QueueMismatchError; // "RabbitMQ already has the queue \"billing.orders\" …"
 */
export class QueueMismatchError extends EventwireError {
  readonly code = 'EVENTWIRE_QUEUE_MISMATCH';
  constructor(
    readonly broker: string,
    readonly queue: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A client for one Redis server reached a node of a Redis Cluster: the node answered `MOVED`,
 * because another node serves the key's hash slot. The message says how to configure the
 * cluster client; `address` is the URL used, password masked.
 *
 * @example
 * error instanceof RedisClusterRequiredError; // "Redis at redis://10.0.0.5:7000 is a node of a Redis Cluster …"
 */
export class RedisClusterRequiredError extends BrokerConnectionError {
  readonly code = 'EVENTWIRE_REDIS_CLUSTER_REQUIRED';
  constructor(address: string, options?: { cause?: unknown }) {
    super(
      'Redis',
      address,
      'is a node of a Redis Cluster',
      'list the cluster\'s nodes in `url` (or REDIS_URL, separated by commas), or set `cluster: true`, so that eventwire uses a cluster client',
      options,
    );
  }
}

/**
 * A client for one Redis server reached a Redis Sentinel, which serves no data commands: `url`
 * (or REDIS_URL) lists Sentinels but no primary's name was given. `address` is the URL used,
 * password masked.
 *
 * @example
 * error instanceof RedisSentinelNameRequiredError; // "Redis at redis://10.0.0.5:26379 is a Redis Sentinel …"
 */
export class RedisSentinelNameRequiredError extends BrokerConnectionError {
  readonly code = 'EVENTWIRE_REDIS_SENTINEL_NAME_REQUIRED';
  constructor(address: string, options?: { cause?: unknown }) {
    super(
      'Redis',
      address,
      'is a Redis Sentinel',
      'set `sentinel` (or REDIS_SENTINEL_NAME) to the name of the primary the Sentinels monitor, so that eventwire asks them for it, or point `url` at the Redis server itself',
      options,
    );
  }
}
