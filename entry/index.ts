import { registerBundledBrokers } from '../adapters/registry.js';

// The package's main entry ('eventwire'): the core's public API, with the bundled adapters
// registered before any user code can name a broker. lib/ itself knows no adapter.
registerBundledBrokers();

export * from '../lib/index.js';
