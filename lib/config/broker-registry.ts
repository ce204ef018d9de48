import type { Broker, BrokerConfig, BrokerFactory } from '../broker.js';
import { InvalidArgumentError } from '../errors/index.js';
import { expectPeer } from './load-peer.js';
import type { BrokerName, ResolvedOptions } from './options.js';

/**
 * How the core creates the broker a name stands for: the adapter's factory and, for an adapter
 * over a client library, that optional peer (package name, what needs it).
 *
 * @example
 * registerBroker('redis', { create: redisBrokerFactory, peer: ['ioredis', 'Redis adapter'] });
 */
export interface BrokerRegistration {
  readonly create: BrokerFactory;
  readonly peer?: readonly [packageName: string, purpose: string];
}

// Filled by the package's entry modules (adapters/registry.ts), never by lib/ itself: the core
// knows broker names, not adapters, so that it imports nothing from adapters/.
const registrations = new Map<BrokerName, BrokerRegistration>();

/**
 * Makes `name` resolvable by {@link createBroker}. Registering a name again replaces its entry.
 *
 * @example
 * registerBroker('memory', { create: memoryBrokerFactory });
 */
export function registerBroker(name: BrokerName, registration: BrokerRegistration): void {
  registrations.set(name, registration);
}

/**
 * Creates the broker an instance's options name (or returns the one given), without connecting.
 * Everything that can be known before connecting is checked here, so that it throws from
 * `createMessaging` / `configureMessaging`: the adapter's own options (`brokerOptions`: unknown
 * names, wrong types) and whether its client library is installed.
 *
 * @example
 * const broker = createBroker(resolveOptions({ broker: 'redis' }, process.env));
 */
export function createBroker(options: ResolvedOptions): Broker {
  if (typeof options.broker !== 'string') return options.broker;
  const registration = registrations.get(options.broker);
  if (registration === undefined) {
    // Only reachable when lib/ is imported without the package's entry ('eventwire').
    throw new InvalidArgumentError(
      'broker',
      `No adapter is registered for broker "${options.broker}": import eventwire from 'eventwire', which registers the bundled adapters.`,
    );
  }
  const { create, peer } = registration;
  if (peer !== undefined) expectPeer(...peer);
  const config: BrokerConfig = {
    url: options.url,
    clientOptions: options.clientOptions,
    brokerOptions: options.brokerOptions,
    logger: options.logger,
  };
  return create(config);
}
