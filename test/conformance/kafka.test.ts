import { createKafkaBroker } from '../../adapters/kafka/index.js';
import type { Broker } from '../../lib/broker.js';
import { silentLogger } from '../../lib/config/logger.js';
import { brokers, requireBroker } from '../support/require-broker.js';
import { runConformanceSuite } from './suite.js';

const opened: Broker[] = [];

// Kafka 4 accepts session timeouts from 6 s; a 1 s heartbeat makes members notice rebalances
// quickly. A member that closes says LeaveGroup, so its partitions move without waiting for the
// session to expire; the bound leaves room for that expiry when the goodbye is lost.
runConformanceSuite({
  name: 'kafka',
  connect: () => {
    const broker = createKafkaBroker({
      bootstrapServers: brokers.kafka.url,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      redeliveryDelayMs: 200,
      logger: silentLogger,
    });
    opened.push(broker);
    return broker;
  },
  prepare: (context) => requireBroker(context, 'kafka'),
  deliveryTimeoutMs: 10_000,
  crashRedeliveryTimeoutMs: 15_000,
  // messaging.close() closes only a broker it used; the suite also subscribes on some directly,
  // and their open Kafka connections would keep mocha from exiting.
  async cleanup() {
    await Promise.all(opened.splice(0).map((broker) => broker.close()));
  },
});
