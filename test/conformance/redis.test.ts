import { createRedisBroker } from '../../adapters/redis/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { deleteKeys, redisAdmin, redisSentinel, redisUrl } from '../support/redis-nodes.js';
import { requireBroker } from '../support/require-broker.js';
import { runConformanceSuite } from './suite.js';

const opened: Broker[] = [];
const sentinelName = redisSentinel();
const sentinel = sentinelName === undefined ? {} : { sentinel: sentinelName };
let connected = false;

// REDIS_URL may list a Redis Cluster's nodes (scripts/cluster-check.sh does): the suite then runs
// through the cluster client; with REDIS_SENTINEL_NAME it lists Sentinels, and the suite runs on
// the primary they name. A short claim time keeps the crash and abandoned-retry tests quick: a dead member's entries
// are taken over after claimIdleMs plus at most half of it.
runConformanceSuite({
  name: 'redis',
  connect: () => {
    const broker = createRedisBroker({ url: redisUrl(), ...sentinel, claimIdleMs: 1_000, logger: silentLogger });
    opened.push(broker);
    connected = true;
    return broker;
  },
  prepare: (context) => requireBroker(context, 'redis'),
  deliveryTimeoutMs: 10_000,
  crashRedeliveryTimeoutMs: 15_000,
});

// Some tests use a process's broker directly; its messaging instance then never owned, and never
// closes, that broker, whose open connection would keep mocha from exiting.
after(() => Promise.all(opened.splice(0).map((broker) => broker.close())));

// Streams named cf-* are this suite's own (Harness.topic): delete them so runs leave nothing behind.
after(async () => {
  // Nothing to delete when Redis was unreachable and the suite was skipped (outside CI).
  if (!connected) return;
  await deleteKeys(await redisAdmin(), 'cf-*');
});
