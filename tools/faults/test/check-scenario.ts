import { strict as assert } from 'node:assert';
import type { FaultTarget, Scenario } from '../types.js';

/**
 * Declares a mocha test that runs the quick variant of `scenario` on the target `target()`
 * returns (read when the test runs, after the `before` hooks), then deletes what it created on
 * the broker. It fails when a message was lost, when the scenario's own checks failed (the
 * failure shows the whole result, notes included) or when the cleanup failed.
 *
 * @example
 * checkScenario(poison, () => target, 30_000);
 */
export function checkScenario(scenario: Scenario, target: () => FaultTarget, timeoutMs: number): void {
  it(`${scenario.name}: ${scenario.title}`, async function () {
    this.timeout(timeoutMs);
    const current = target();
    let leftover: unknown;
    const result = await scenario.run(current, { quick: true }).finally(async () => {
      leftover = await current.cleanup().then(
        () => undefined,
        (error: unknown) => error ?? new Error('cleanup failed'),
      );
    });
    const report = `\n${JSON.stringify(result, null, 2)}`;
    assert.equal(result.lost, 0, `messages lost${report}`);
    assert.ok(result.ok, `scenario failed${report}`);
    if (leftover !== undefined) throw new Error(`${scenario.name} passed, but deleting what it created failed: ${leftover instanceof Error ? leftover.message : String(leftover)}`, { cause: leftover });
  });
}
