import { fork } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { currentCommit } from '../../../scripts/git-commit.js';
import { buildEventwire } from '../build.js';
import { isBroker } from '../config.js';
import { describeMachine } from '../machine.js';
import { brokers as allBrokers, type BrokerId } from '../types.js';
import { outboxResultsPath, updateOutboxDoc } from './docs.js';
import { sizesOf } from './sizes.js';
import type { OutboxMeasurements, OutboxMode, OutboxResults } from './types.js';

/**
 * `npm run bench:outbox`: the PostgreSQL outbox's staging cost, relay throughput, commit-to-handled
 * latency and inbox cost (docs/outbox.md), in one process importing eventwire's tsc build. A run
 * over every broker writes tools/bench/outbox/results.json and rewrites the section of
 * docs/outbox.md; a run narrowed with --broker writes .cache/bench/outbox-results.json only.
 */

const usage = `npm run bench:outbox [-- options]

  --smoke             small sizes, to check that the bench works (the section says so)
  --broker <name>     redis | rabbitmq | kafka | memory (repeatable or comma-separated; default all)
  --help              this text

PostgreSQL from DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), brokers from
REDIS_URL, RABBITMQ_URL, KAFKA_BOOTSTRAP_SERVERS. The run creates a schema of its own and drops it.
`;

const { values } = parseArgs({ options: { smoke: { type: 'boolean', default: false }, broker: { type: 'string', multiple: true }, help: { type: 'boolean', default: false } }, strict: true });
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const chosen = (values.broker ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');
const unknown = chosen.find((name) => !isBroker(name));
if (unknown !== undefined) throw new Error(`unknown broker "${unknown}"; expected one of ${allBrokers.join(', ')}`);
const brokers: readonly BrokerId[] = chosen.length === 0 ? allBrokers : (chosen as BrokerId[]);
const mode: OutboxMode = values.smoke ? 'smoke' : 'full';
const everything = allBrokers.every((broker) => brokers.includes(broker));

// Taken before the build, which is what the run measures.
const commit = currentCommit();
const machine = await describeMachine(brokers);
console.log(`eventwire outbox bench, ${mode} mode, ${brokers.join(', ')}; ${machine.cpu} × ${machine.cores}, load ${machine.loadAverage.join(' ')}`);
const scratch = fileURLToPath(new URL('../../../.cache/bench/', import.meta.url));
mkdirSync(scratch, { recursive: true });
const out = `${scratch}outbox-measurements.json`;
const runId = `ewb-ob${Date.now().toString(36)}`;

const code = await new Promise<number | null>((resolve) => {
  const child = fork(fileURLToPath(new URL('./measure-all.ts', import.meta.url)), [JSON.stringify({ mode, runId, brokers, out })], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
    env: { ...process.env, TSX_TSCONFIG_PATH: buildEventwire() },
  });
  child.on('exit', (exitCode) => resolve(exitCode));
});
if (code !== 0) throw new Error(`the measuring process exited with code ${code}`);

const measurements = JSON.parse(readFileSync(out, 'utf8')) as OutboxMeasurements;
const results: OutboxResults = { finishedAt: new Date().toISOString(), commit, mode, sizes: sizesOf(mode), machine, ...measurements };
const path = everything ? outboxResultsPath : new URL(`file://${scratch}outbox-results.json`);
writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${fileURLToPath(path)}`);
if (everything) console.log(updateOutboxDoc(results) ? 'docs/outbox.md: benchmark section rewritten' : 'docs/outbox.md: markers not found');
