import { strict as assert } from 'node:assert';
import { brokerRestartSlow } from '../scenarios/broker-restart-slow.js';
import { brokerRestart } from '../scenarios/broker-restart.js';
import { bufferWhileDown } from '../scenarios/buffer-while-down.js';
import { connectionCut } from '../scenarios/connection-cut.js';
import { shutdown, startTarget } from '../targets.js';
import type { FaultTarget } from '../types.js';
import { checkScenario } from './check-scenario.js';
import { requireBroker } from '../../../test/support/require-broker.js';

/**
 * The CI subset of the broker and network fault scenarios, quick variants, on the fault
 * runner's own instances (tools/faults/instances.ts: a Redis, a RabbitMQ node and a Kafka node started
 * for this run on ports of its own): on every broker, connection cut and blackhole (scenario 2),
 * the fire-and-forget buffer while the broker is down (scenario 8), the broker restarted twice
 * under load (scenario 1) and once while a slow handler is in flight (scenario 1b).
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

  for (const name of ['redis', 'rabbitmq', 'kafka'] as const) {
    describe(name, function () {
      let target: FaultTarget;
      before(async function () {
        await requireBroker(this, name);
        // Starting the run's RabbitMQ or Kafka node takes 10–20 s (more on a busy machine).
        this.timeout(180_000);
        target = await startTarget(name);
      });
      checkScenario(connectionCut, () => target, 120_000);
      checkScenario(bufferWhileDown, () => target, 120_000);
      checkScenario(brokerRestart, () => target, 240_000);
      checkScenario(brokerRestartSlow, () => target, 240_000);
    });
  }
});
