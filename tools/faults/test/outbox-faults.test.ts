import { outboxAppKilled } from '../scenarios/outbox-app-killed.js';
import { outboxBrokerDown } from '../scenarios/outbox-broker-down.js';
import { outboxInboxDuplicates } from '../scenarios/outbox-inbox-duplicates.js';
import { outboxPostgresRestart } from '../scenarios/outbox-postgres-restart.js';
import { outboxRelayKilled } from '../scenarios/outbox-relay-killed.js';
import { shutdown, startTarget } from '../targets.js';
import type { FaultTarget } from '../types.js';
import { checkScenario } from './check-scenario.js';
import { requireBroker } from '../../../test/support/require-broker.js';

/**
 * The CI subset of the outbox and inbox fault scenarios (10–14), quick variants, on one broker:
 * the fault runner's own Redis (the quickest to start and restart) and its own PostgreSQL cluster
 * (tools/faults/postgres-instance.ts), never the machine's. `npm run faults` runs the full
 * variants on every broker.
 */
describe('outbox faults (quick, Redis)', function () {
  let target: FaultTarget;
  before(async function () {
    await requireBroker(this, 'redis');
    this.timeout(120_000);
    target = await startTarget('redis');
  });
  after(async function () {
    this.timeout(60_000);
    await shutdown();
  });

  checkScenario(outboxAppKilled, () => target, 120_000);
  checkScenario(outboxRelayKilled, () => target, 120_000);
  checkScenario(outboxBrokerDown, () => target, 120_000);
  checkScenario(outboxInboxDuplicates, () => target, 120_000);
  checkScenario(outboxPostgresRestart, () => target, 120_000);
});
