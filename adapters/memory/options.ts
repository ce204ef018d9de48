import { InvalidArgumentError } from '../../lib/errors/index.js';
import { expectKnownKeys, expectObject } from '../../lib/config/validate.js';
import { expectDelay } from '../../lib/config/expect-delay.js';
import { MemoryServerState, type MemoryServer } from './server.js';

/**
 * Options of `createMemoryBroker`.
 *
 * @example
 * createMemoryBroker({ server: createMemoryServer(), redeliveryDelayMs: 50 });
 */
export interface MemoryBrokerOptions {
  /** The shared "broker process"; defaults to one per Node.js process. */
  readonly server?: MemoryServer;
  /**
   * Minimum time between a delivery this connection's handler chain rejected (left
   * unacknowledged) and its redelivery. Default 200 ms.
   */
  readonly redeliveryDelayMs?: number;
}

/** The validated options of one connection, defaults filled in. */
export interface MemorySettings {
  readonly server: MemoryServerState;
  readonly redeliveryDelayMs: number;
}

/** What `brokerOptions` may hold for the memory broker under `configureMessaging`. */
export const memoryTunables: readonly string[] = ['server', 'redeliveryDelayMs'];

let defaultServer: MemoryServerState | undefined;

/**
 * Checks `options` and fills in the defaults; throws an `InvalidArgumentError` naming the option.
 * `what` names where the options came from, for the unknown-option message.
 *
 * @example
 * const settings = validateMemoryOptions({ redeliveryDelayMs: 50 }, 'createMemoryBroker options');
 */
export function validateMemoryOptions(options: MemoryBrokerOptions, what: string): MemorySettings {
  const raw = expectObject('options', options);
  expectKnownKeys(what, raw, memoryTunables);
  return {
    server: resolveServer(raw.server),
    // Only `undefined` means "not given": a `null` is a mistake to report.
    redeliveryDelayMs: expectDelay('redeliveryDelayMs', raw.redeliveryDelayMs === undefined ? 200 : raw.redeliveryDelayMs, 0),
  };
}

function resolveServer(server: unknown): MemoryServerState {
  if (server === undefined) return (defaultServer ??= new MemoryServerState());
  if (!(server instanceof MemoryServerState)) throw new InvalidArgumentError('server', 'Expected `server` to come from createMemoryServer().');
  return server;
}
