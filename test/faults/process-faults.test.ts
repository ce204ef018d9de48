import { strict as assert } from 'node:assert';
import { createKafkaBroker } from '../../adapters/kafka.js';
import { createMemoryBroker, createMemoryServer } from '../../adapters/memory.js';
import { createRabbitMqBroker } from '../../adapters/rabbitmq.js';
import { createRedisBroker } from '../../adapters/redis.js';
import { malformed } from '../../faults/scenarios/malformed.js';
import { oversize } from '../../faults/scenarios/oversize.js';
import { poison } from '../../faults/scenarios/poison.js';
import { sigtermDrain } from '../../faults/scenarios/sigterm-drain.js';
import { slowHandler } from '../../faults/scenarios/slow-handler.js';
import { workerKilled } from '../../faults/scenarios/worker-killed.js';
import type { FaultBroker, FaultTarget, Scenario } from '../../faults/types.js';
import { silentLogger } from '../../lib/logger.js';
import { brokers, requireBroker, type RealBrokerName } from '../support/require-broker.js';

/**
 * The CI subset of the process fault scenarios (faults/scenarios/), quick variants, on the
 * standard brokers the rest of the suite uses: a worker process killed mid-handler, SIGTERM to
 * the consumer CLI, a poison message, malformed and invalid messages, oversized messages, and a
 * handler slower than the session or claim timeout. `npm run faults` runs the full variants on
 * the fault runner's own broker instances.
 */
describe('process faults (quick)', function () {
  const applies = (scenario: Scenario, broker: FaultBroker): boolean => scenario.brokers.includes(broker);

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
    for (const scenario of [poison, malformed, oversize]) check(scenario, () => memoryTarget(), 30_000);
    it('is not applicable to the process scenarios (no other process can reach it)', () => {
      for (const scenario of [workerKilled, sigtermDrain, slowHandler]) assert.equal(applies(scenario, 'memory'), false);
    });
  });

  for (const name of ['redis', 'rabbitmq', 'kafka'] as const) {
    describe(name, function () {
      before(async function () {
        await requireBroker(this, name);
      });
      check(workerKilled, () => standardTarget(name), 90_000);
      check(sigtermDrain, () => standardTarget(name), 60_000);
      check(poison, () => standardTarget(name), 30_000);
      check(malformed, () => standardTarget(name), 30_000);
      check(oversize, () => standardTarget(name), 60_000);
      check(slowHandler, () => standardTarget(name), 60_000);
    });
  }
});

function memoryTarget(): FaultTarget {
  const server = createMemoryServer();
  return { broker: 'memory', url: 'memory://', port: undefined, connect: () => createMemoryBroker({ server }) };
}

/** The standard broker (REDIS_URL, RABBITMQ_URL, KAFKA_BOOTSTRAP_SERVERS) as a fault target, without restarts or proxies. */
function standardTarget(name: RealBrokerName): FaultTarget {
  const { url } = brokers[name];
  const first = url.split(',')[0] ?? url;
  const port = Number(new URL(first.includes('://') ? first : `tcp://${first}`).port) || brokers[name].port;
  switch (name) {
    case 'redis':
      return { broker: name, url, port, connect: (options = {}) => createRedisBroker({ url, logger: silentLogger, ...options.tuning }) };
    case 'rabbitmq':
      return { broker: name, url, port, connect: (options = {}) => createRabbitMqBroker({ url, logger: silentLogger, ...options.tuning }) };
    case 'kafka':
      return {
        broker: name,
        url,
        port,
        connect: (options = {}) => createKafkaBroker({ brokers: url.split(',').map((address) => address.trim()), logger: silentLogger, ...options.tuning }),
      };
  }
}
