import type { Scenario } from '../types.js';

/**
 * Every fault scenario, in report order. Each scenario lives in its own file in this folder and
 * is added here.
 */
export const scenarios: Scenario[] = [];

// Process faults (scenarios 3–7 and 9).
import { workerKilled } from './worker-killed.js';
scenarios.push(workerKilled);
import { sigtermDrain } from './sigterm-drain.js';
scenarios.push(sigtermDrain);

// Broker and network faults (scenarios 1, 2 and 8).
import { brokerRestart } from './broker-restart.js';
scenarios.push(brokerRestart);
import { brokerRestartSlow } from './broker-restart-slow.js';
scenarios.push(brokerRestartSlow);
import { connectionCut } from './connection-cut.js';
scenarios.push(connectionCut);
import { bufferWhileDown } from './buffer-while-down.js';
scenarios.push(bufferWhileDown);
import { poison } from './poison.js';
scenarios.push(poison);
import { malformed } from './malformed.js';
scenarios.push(malformed);
import { oversize } from './oversize.js';
scenarios.push(oversize);
import { slowHandler } from './slow-handler.js';
scenarios.push(slowHandler);

// Outbox and inbox faults (scenarios 10–14), on the run's own PostgreSQL.
import { outboxAppKilled } from './outbox-app-killed.js';
scenarios.push(outboxAppKilled);
import { outboxRelayKilled } from './outbox-relay-killed.js';
scenarios.push(outboxRelayKilled);
import { outboxBrokerDown } from './outbox-broker-down.js';
scenarios.push(outboxBrokerDown);
import { outboxInboxDuplicates } from './outbox-inbox-duplicates.js';
scenarios.push(outboxInboxDuplicates);
import { outboxPostgresRestart } from './outbox-postgres-restart.js';
scenarios.push(outboxPostgresRestart);
