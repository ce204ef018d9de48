import { strict as assert } from 'node:assert';
import { brokerRestart } from '../../faults/scenarios/broker-restart.js';
import { bufferWhileDown } from '../../faults/scenarios/buffer-while-down.js';
import { connectionCut } from '../../faults/scenarios/connection-cut.js';
import { shutdown, startTarget } from '../../faults/targets.js';
import type { FaultBroker, FaultTarget } from '../../faults/types.js';
import { checkScenario } from '../support/faults.js';
import { requireBroker } from '../support/require-broker.js';

/**
 * The CI subset of the broker and network fault scenarios, quick variants, on the fault
 * runner's own instances (faults/instances.ts: a Redis and a RabbitMQ node started for this run
 * on ports of its own, the project's Kafka): connection cut and blackhole (scenario 2) and the
 * fire-and-forget buffer while the broker is down (scenario 8) on every broker, and the broker
 * restarted under load (scenario 1) on Redis and RabbitMQ. Kafka's restart is left to
 * `npm run faults`: a controlled shutdown and start take 30–50 s each here, and its consumer
 * group another 40–90 s to rebalance after them, about 2.5 minutes for the quick variant alone.
 */
describe('broker faults (quick)', function () {
  after(async function () {
    this.timeout(60_000);
    await shutdown();
  });

  describe('memory', () => {
    let target: FaultTarget;
    before(async () => {
      target = await startTarget('memory');
    });
    checkScenario(bufferWhileDown, () => target, 60_000);
    it('has no network to cut and no process to restart (scenarios 1 and 2 do not apply)', () => {
      for (const scenario of [brokerRestart, connectionCut]) assert.equal(scenario.brokers.includes('memory'), false);
    });
  });

  const restarts: Partial<Record<FaultBroker, boolean>> = { redis: true, rabbitmq: true, kafka: false };
  for (const name of ['redis', 'rabbitmq', 'kafka'] as const) {
    describe(name, function () {
      let target: FaultTarget;
      before(async function () {
        await requireBroker(this, name);
        // Starting the run's RabbitMQ node takes 10–20 s (more on a busy machine).
        this.timeout(180_000);
        target = await startTarget(name);
      });
      checkScenario(connectionCut, () => target, 120_000);
      checkScenario(bufferWhileDown, () => target, 120_000);
      if (restarts[name] === true) checkScenario(brokerRestart, () => target, 240_000);
    });
  }
});
