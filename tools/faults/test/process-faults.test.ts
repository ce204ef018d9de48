import { strict as assert } from 'node:assert';
import { malformed } from '../scenarios/malformed.js';
import { oversize } from '../scenarios/oversize.js';
import { poison } from '../scenarios/poison.js';
import { sigtermDrain } from '../scenarios/sigterm-drain.js';
import { slowHandler } from '../scenarios/slow-handler.js';
import { workerKilled } from '../scenarios/worker-killed.js';
import { startTarget, targetAt } from '../targets.js';
import type { FaultBroker, FaultTarget, Scenario } from '../types.js';
import { checkScenario } from './check-scenario.js';
import { brokers, requireBroker } from '../../../test/support/require-broker.js';

/**
 * The CI subset of the process fault scenarios (tools/faults/scenarios/), quick variants, on the
 * standard brokers the rest of the suite uses: a worker process killed mid-handler, SIGTERM to
 * the consumer CLI, a poison message, malformed and invalid messages, oversized messages, and a
 * handler slower than the session or claim timeout. `npm run faults` runs the full variants on
 * the fault runner's own broker instances.
 */
describe('process faults (quick)', function () {
  const applies = (scenario: Scenario, broker: FaultBroker): boolean => scenario.brokers.includes(broker);

  describe('memory', () => {
    let target: FaultTarget;
    beforeEach(async () => {
      target = await startTarget('memory'); // a new in-process server for each scenario
    });
    for (const scenario of [poison, malformed, oversize]) checkScenario(scenario, () => target, 30_000);
    it('is not applicable to the process scenarios (no other process can reach it)', () => {
      for (const scenario of [workerKilled, sigtermDrain, slowHandler]) assert.equal(applies(scenario, 'memory'), false);
    });
  });

  for (const name of ['redis', 'rabbitmq', 'kafka'] as const) {
    describe(name, function () {
      let target: FaultTarget;
      before(async function () {
        await requireBroker(this, name);
        // The standard broker (REDIS_URL, RABBITMQ_URL, KAFKA_BOOTSTRAP_SERVERS), without restarts or proxies.
        target = targetAt(name, brokers[name].url);
      });
      checkScenario(workerKilled, () => target, 90_000);
      checkScenario(sigtermDrain, () => target, 60_000);
      // Bounds against a hang, not latency figures: a Kafka group joins in seconds, several times
      // per scenario, and the 2-core CI machine runs these beside the brokers.
      checkScenario(poison, () => target, 90_000);
      checkScenario(malformed, () => target, 90_000);
      checkScenario(oversize, () => target, 60_000);
      checkScenario(slowHandler, () => target, 60_000);
    });
  }
});
