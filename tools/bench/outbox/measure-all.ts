import { writeFileSync } from 'node:fs';
import { cleanupCase, cleanupRun } from '../cleanup.js';
import { memoryServer } from '../raw/memory.js';
import type { BrokerId } from '../types.js';
import { openDb, postgresVersion } from './db.js';
import { measureInbox } from './inbox.js';
import { measureLatency } from './latency.js';
import { sizesOf } from './sizes.js';
import { measureStaging } from './staging.js';
import { measureThroughput } from './throughput.js';
import type { InboxResult, LatencyResult, OutboxMeasurements, OutboxMode, StagingResult, ThroughputResult } from './types.js';
import { reason } from './waits.js';

/**
 * The measuring process of `npm run bench:outbox` (started by run.ts with eventwire's build):
 * every measurement one after the other in the bench's own schema, then the schema dropped and
 * the brokers' topics, queues and streams of the run deleted. Writes its measurements as JSON to
 * the path it is given.
 */

interface Input {
  readonly mode: OutboxMode;
  readonly runId: string;
  readonly brokers: readonly BrokerId[];
  readonly out: string;
}

/** The brokers whose inbox cost is measured: the in-process one and one real broker. */
const inboxBrokers: readonly BrokerId[] = ['memory', 'redis'];

const input = JSON.parse(process.argv[2] ?? '{}') as Input;
const sizes = sizesOf(input.mode);
const server = memoryServer();
const db = await openDb(input.runId.replaceAll('-', '_'), 24);
const log = (line: string): void => console.log(`  ${line}`);
const figure = (value: number | undefined, digits = 0): string => (value === undefined ? '—' : value.toFixed(digits));

try {
  const postgres = await postgresVersion(db.pool);
  let staging: StagingResult | undefined;
  let stagingError: string | undefined;
  try {
    staging = await measureStaging(db, sizes.stagingTransactions);
    log(`staging: ${staging.plainMs.toFixed(3)} ms without, ${staging.stagedMs.toFixed(3)} ms with stage() (+${staging.addedMs.toFixed(3)}), ${staging.withMs?.toFixed(3)} ms with stageWith() (+${staging.withAddedMs?.toFixed(3)}); prepared: ${staging.preparedPlainMs?.toFixed(3)} ms without, ${staging.preparedWithMs?.toFixed(3)} ms with stageWith() (+${staging.preparedWithAddedMs?.toFixed(3)})`);
  } catch (error) {
    stagingError = reason(error);
    log(`staging: error: ${stagingError}`);
  }
  const throughput: ThroughputResult[] = [];
  for (const broker of input.brokers) {
    for (const shape of sizes.relays) {
      const { batchSize, batchesInFlight } = shape;
      const name = `${input.runId}-tp-${broker}-${batchSize}-${batchesInFlight}`;
      const result = await measureThroughput(db, broker, name, sizes.relayRows, shape, server);
      await cleanupCase(broker, name);
      throughput.push(result);
      log(`relay ${broker} batch ${batchSize} × ${batchesInFlight}: ${result.error ?? `${figure(result.relayRate)} events/s, raw ${figure(result.rawRate)} msg/s`}`);
    }
  }
  const latency: LatencyResult[] = [];
  for (const broker of input.brokers) {
    const name = `${input.runId}-lat-${broker}`;
    const result = await measureLatency(db, broker, name, sizes.latencyRate, sizes.latencySeconds, server);
    await cleanupCase(broker, name);
    latency.push(result);
    log(`latency ${broker}: ${result.error ?? `p50 ${figure(result.p50Ms, 1)} ms, p99 ${figure(result.p99Ms, 1)} ms at ${figure(result.rate)}/s`}`);
  }
  const inbox: InboxResult[] = [];
  for (const broker of inboxBrokers.filter((candidate) => input.brokers.includes(candidate))) {
    const name = `${input.runId}-inbox-${broker}`;
    const result = await measureInbox(db, broker, name, sizes.inboxMessages, sizes.inboxConcurrency, server);
    await cleanupCase(broker, name);
    inbox.push(result);
    log(`inbox ${broker}: ${result.error ?? `${figure(result.withInboxUs)} µs with, ${figure(result.withoutInboxUs)} µs without`}`);
  }
  const measurements: OutboxMeasurements = { postgres, staging, stagingError, throughput, latency, inbox };
  writeFileSync(input.out, JSON.stringify(measurements));
} finally {
  await db.drop();
  await cleanupRun(input.brokers, input.runId);
}
