import { strict as assert } from 'node:assert';
import { brokerRestart } from '../../faults/scenarios/broker-restart.js';
import { bufferWhileDown } from '../../faults/scenarios/buffer-while-down.js';
import { connectionCut } from '../../faults/scenarios/connection-cut.js';
import { shutdown, startTarget } from '../../faults/targets.js';
import type { FaultBroker, FaultTarget, Scenario } from '../../faults/types.js';
import { requireBroker } from '../support/require-broker.js';

/**
 * The CI subset of the broker and network fault scenarios, quick variants, on the fault
 * runner's own instances (faults/targets.ts: Redis on 6390, a RabbitMQ node on 5673, the
 * project's Kafka): connection cut and blackhole (scenario 2) and the fire-and-forget buffer
 * while the broker is down (scenario 8) on every broker, and the broker restarted under load
 * (scenario 1) on Redis and RabbitMQ. Kafka's restart is left to `npm run faults`: a controlled
 * shutdown and start take 30–50 s each here, and its consumer group another 40–90 s to
 * rebalance after them, about 2.5 minutes for the quick variant alone.
 */
describe('broker faults (quick)', function () {
  after(async function () {
    this.timeout(60_000);
    await shutdown();
  });

  function check(scenario: Scenario, target: () => FaultTarget, timeoutMs: number): void {
    it(`${scenario.name}: ${scenario.title}`, async function () {
      this.timeout(timeoutMs);
      const result = await scenario.run(target(), { quick: true });
      const report = `\n${JSON.stringify(result, null, 2)}`;
      assert.equal(result.lost, 0, `messages lost${report}`);
      assert.ok(result.ok, `scenario failed${report}`);
    });
  }

  describe('memory', () => {
    let target: FaultTarget;
    before(async () => {
      target = await startTarget('memory');
    });
    check(bufferWhileDown, () => target, 60_000);
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
        // Starting the runner's RabbitMQ node takes 10–20 s the first time.
        this.timeout(180_000);
        target = await startTarget(name);
      });
      check(connectionCut, () => target, 120_000);
      check(bufferWhileDown, () => target, 120_000);
      if (restarts[name] === true) check(brokerRestart, () => target, 240_000);
    });
  }
});
