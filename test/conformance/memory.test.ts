import { createMemoryBroker, createMemoryServer } from '../../adapters/memory/index.js';
import { runConformanceSuite } from './suite.js';

const server = createMemoryServer();

runConformanceSuite({
  name: 'memory',
  connect: () => createMemoryBroker({ server }),
  deliveryTimeoutMs: 2_000,
  crashRedeliveryTimeoutMs: 2_000,
});
