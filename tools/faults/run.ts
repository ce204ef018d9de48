import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { reportPath, updateFaultsDoc, updateRecoveryDoc } from './docs.js';
import { currentCommit } from '../../scripts/git-commit.js';
import { createReport, formatTable, passed, writeReport, type ReportEntry } from './report.js';
import { scenarios } from './scenarios/index.js';
import { shutdown, startTarget } from './targets.js';
import type { FaultBroker } from './types.js';

/**
 * `npm run faults [-- --quick] [--broker x]... [--scenario y]...`: runs every scenario on every
 * broker it applies to (or the chosen ones), prints a table, writes a report (a full run of every
 * scenario on every broker: tools/faults/report.json and the table in docs/faults.md; any other run:
 * .cache/faults/report.json, so that it never replaces the published one), and exits 1 when
 * any scenario is not ok or lost a message (2 on bad arguments).
 */

const allBrokers: readonly FaultBroker[] = ['memory', 'redis', 'rabbitmq', 'kafka'];
const usage = `usage: npm run faults -- [--quick] [--broker memory|redis|rabbitmq|kafka]... [--scenario NAME]...
scenarios: ${scenarios.map((scenario) => scenario.name).join(', ')}
Runs each scenario on each broker it applies to and prints a table. A full run (every broker and
scenario, not --quick) writes tools/faults/report.json and the table in docs/faults.md; any other run
writes .cache/faults/report.json.
Exit status: 0 all ok, 1 a scenario failed or lost messages, 2 bad arguments.`;

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        quick: { type: 'boolean', default: false },
        broker: { type: 'string', multiple: true },
        scenario: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  const { values } = parsed;
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const split = (list: string[] | undefined): string[] | undefined => list?.flatMap((item) => item.split(',')).map((item) => item.trim()).filter((item) => item !== '');
  const brokers = split(values.broker) ?? [...allBrokers];
  const names = split(values.scenario) ?? scenarios.map((scenario) => scenario.name);
  const unknownBroker = brokers.find((broker) => !allBrokers.includes(broker as FaultBroker));
  const unknownScenario = names.find((name) => !scenarios.some((scenario) => scenario.name === name));
  if (unknownBroker !== undefined || unknownScenario !== undefined) {
    console.error(`${unknownBroker === undefined ? `unknown scenario "${unknownScenario}"` : `unknown broker "${unknownBroker}"`}\n${usage}`);
    return 2;
  }

  const quick = values.quick;
  const startedAt = new Date();
  // The commit measured is the one checked out when the run began, whatever is committed meanwhile.
  const commit = currentCommit();
  const results: ReportEntry[] = [];
  const interrupted = (): void => {
    console.error('\ninterrupted: stopping the brokers the runner started');
    void shutdown().finally(() => process.exit(130));
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    for (const broker of allBrokers.filter((name) => brokers.includes(name))) {
      const chosen = scenarios.filter((scenario) => names.includes(scenario.name) && scenario.brokers.includes(broker));
      if (chosen.length === 0) continue;
      for (const scenario of chosen) {
        const began = Date.now();
        process.stdout.write(`${broker} / ${scenario.name}${quick ? ' (quick)' : ''} ... `);
        let entry: ReportEntry;
        try {
          const target = await startTarget(broker);
          const result = await scenario.run(target, { quick });
          // What the scenario created goes, so that nothing piles up on the brokers across runs
          // (on Kafka, every topic left behind slows each restart down).
          const leftover = await target.cleanup().then(
            () => [],
            (error: unknown) => [`cleanup failed (topics, queues or groups left on the broker): ${error instanceof Error ? error.message : String(error)}`],
          );
          for (const note of leftover) console.error(`\n${broker} / ${scenario.name}: ${note}`);
          entry = { ...result, notes: [...result.notes, ...leftover], durationMs: Date.now() - began };
        } catch (error) {
          entry = {
            scenario: scenario.name,
            broker,
            sent: 0,
            acknowledged: 0,
            handled: 0,
            deadLettered: 0,
            lost: 0,
            duplicated: 0,
            recoveryMs: null,
            notes: [`the scenario threw: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`],
            ok: false,
            durationMs: Date.now() - began,
          };
        }
        results.push(entry);
        process.stdout.write(`${entry.ok && entry.lost === 0 ? 'ok' : 'FAILED'} (${(entry.durationMs / 1000).toFixed(1)} s)\n`);
      }
    }
  } finally {
    await shutdown().catch((error: unknown) => console.error(`could not stop a broker the runner started: ${String(error)}`));
  }

  const report = createReport({ startedAt, commit, quick, results });
  // Only a complete full run replaces the published report; a narrowed or quick one goes to .cache.
  const complete = !quick && allBrokers.every((broker) => brokers.includes(broker)) && scenarios.every((scenario) => names.includes(scenario.name));
  const path = fileURLToPath(complete ? reportPath : new URL('../../.cache/faults/report.json', import.meta.url));
  await mkdir(dirname(path), { recursive: true });
  await writeReport(path, report);
  console.log(`\n${formatTable(results)}\n\nwrote ${path}`);
  if (complete && results.length > 0 && (await updateFaultsDoc(report)) && (await updateRecoveryDoc(report))) {
    console.log('wrote the table in docs/faults.md and the recovery line in docs/delivery-guarantees.md');
  }
  if (results.length === 0) {
    console.error('no scenario applies to the chosen brokers');
    return 1;
  }
  return passed(results) ? 0 : 1;
}

// Exits explicitly: a client library that leaves a timer or socket behind must not keep the
// runner alive after its report.
process.exit(await main());
