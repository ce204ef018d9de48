import { createMemoryBroker, createMemoryServer } from '../adapters/memory/index.js';
import { registerBundledBrokers } from '../adapters/registry.js';
import { silentLogger } from '../lib/config/logger.js';
import { createMessaging, type Messaging } from '../lib/messaging.js';
import type { MessagingOptions } from '../lib/config/options.js';

// 'eventwire/testing': the core's recorder plus what needs the in-process adapter. Registered
// too, since a test may reach the default instance (MESSAGING_BROKER) through this entry alone.
registerBundledBrokers();

export * from '../lib/testing.js';
export { createMemoryBroker, createMemoryServer } from '../adapters/memory/index.js';

/**
 * An instance on its own in-process broker, silent, for one test: nothing shared, nothing to start.
 *
 * @example
 * const messaging = createTestMessaging({ defaultTopic: 'user-events' });
 */
export function createTestMessaging(options: Omit<MessagingOptions, 'broker'> = {}): Messaging {
  return createMessaging({ source: 'test', logger: silentLogger, ...options, broker: createMemoryBroker({ server: createMemoryServer() }) });
}
