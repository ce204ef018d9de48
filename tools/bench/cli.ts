import { parseArgs } from 'node:util';
import { clusterBrokers, clusterScenarioIds, isClusterBroker } from './cluster.js';
import { defaultReps, isBroker } from './config.js';
import { brokers, type BrokerId } from './types.js';

export interface Cli {
  readonly mode: 'quick' | 'full';
  readonly brokers: readonly BrokerId[];
  /** Scenario ids or prefixes (`send`, `consume-c16`, `http`); empty: all. */
  readonly only: readonly string[];
  readonly reps: number;
  readonly peers: boolean;
  /** Measure eventwire's TypeScript source under tsx instead of its tsc build (see build.ts). */
  readonly source: boolean;
  /** The send and consume cases on the local clusters instead of the single brokers (cluster.ts). */
  readonly cluster: boolean;
  readonly help: boolean;
}

export const usage = `npm run bench [-- options]

  --quick             short run (about 3 minutes): 1 repetition, short durations, no peers
  --broker <name>     redis | rabbitmq | kafka | memory (repeatable or comma-separated; default all)
  --only <scenario>   send-awaited | send-awaited-unbound (RabbitMQ) | send-concurrent | fire-and-forget |
                      consume-c1 | consume-c16 | http-express | http-koa | otel-sdk-send |
                      otel-sdk-consume (Kafka, RabbitMQ), or a prefix such as send, consume, http,
                      otel-sdk (repeatable)
  --reps <n>          repetitions per case (default: ${defaultReps.full}; --quick: ${defaultReps.quick}); the median is reported
  --peers, --no-peers run or skip NestJS and Moleculer Channels (default: run them, except with --quick)
  --source            measure eventwire's TypeScript source under tsx instead of its tsc build
  --cluster           on the local clusters (npm run brokers -- up --cluster): ${clusterScenarioIds.join(', ')}
                      on redis, rabbitmq and kafka, eventwire against the raw clients, no peers;
                      --only and --broker narrow it as above
  --help              this text
`;

const list = (values: readonly string[] | undefined): string[] => (values ?? []).flatMap((value) => value.split(',')).map((value) => value.trim()).filter((value) => value !== '');

export function parseCli(argv: readonly string[]): Cli {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      broker: { type: 'string', multiple: true },
      only: { type: 'string', multiple: true },
      reps: { type: 'string' },
      peers: { type: 'boolean' },
      'no-peers': { type: 'boolean', default: false },
      source: { type: 'boolean', default: false },
      cluster: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const mode = values.quick ? 'quick' : 'full';
  const chosen = list(values.broker);
  const unknown = chosen.find((name) => !isBroker(name));
  if (unknown !== undefined) throw new Error(`unknown broker "${unknown}"; expected one of ${brokers.join(', ')}`);
  const reps = values.reps === undefined ? defaultReps[mode] : Number(values.reps);
  if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps expects a positive integer, got "${values.reps ?? ''}"`);
  const only = list(values.only);
  if (values.cluster) checkClusterChoices(chosen, only, values.peers === true);
  return {
    mode,
    brokers: chosen.length === 0 ? (values.cluster ? clusterBrokers : brokers) : chosen.filter(isBroker),
    only,
    reps,
    peers: values.cluster || values['no-peers'] ? false : (values.peers ?? mode === 'full'),
    source: values.source,
    cluster: values.cluster,
    help: values.help,
  };
}

/** With `--cluster`: a broker that has a local cluster, scenarios that run there, and no peers. */
function checkClusterChoices(chosen: readonly string[], only: readonly string[], peers: boolean): void {
  const other = chosen.find((name) => !isClusterBroker(name));
  if (other !== undefined) throw new Error(`--cluster runs on ${clusterBrokers.join(', ')}; "${other}" has no local cluster`);
  const unknown = only.find((wanted) => !clusterScenarioIds.some((id) => id.startsWith(wanted)));
  if (unknown !== undefined) throw new Error(`--cluster runs ${clusterScenarioIds.join(', ')}; --only "${unknown}" matches none of them`);
  if (peers) throw new Error('--cluster compares eventwire with the raw clients only; leave out --peers');
}
