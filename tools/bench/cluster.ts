import type { BrokerId } from './types.js';

/**
 * `npm run bench -- --cluster`: the send and consume cases on the local clusters of
 * scripts/clusters.sh (docs/clusters.md), eventwire and the raw clients both pointed at every node
 * through the variables a user sets.
 */

/** The brokers that have a local cluster; the in-process broker has none. */
export const clusterBrokers = ['redis', 'rabbitmq', 'kafka'] as const satisfies readonly BrokerId[];
export type ClusterBroker = (typeof clusterBrokers)[number];

export const isClusterBroker = (broker: string): broker is ClusterBroker => (clusterBrokers as readonly string[]).includes(broker);

const ports = (first: number, count: number): number[] => Array.from({ length: count }, (_, index) => first + index);

/**
 * Each cluster's nodes as the variable eventwire reads (the ports of scripts/clusters.sh): every
 * Redis node (a list selects ioredis's cluster client), every RabbitMQ node (the first that answers
 * is used), every Kafka broker.
 */
export const clusterVariables: Readonly<Record<ClusterBroker, { readonly name: string; readonly value: string }>> = {
  redis: { name: 'REDIS_URL', value: ports(27001, 6).map((port) => `redis://127.0.0.1:${port}`).join(',') },
  rabbitmq: { name: 'RABBITMQ_URL', value: ports(27021, 3).map((port) => `amqp://guest:guest@127.0.0.1:${port}`).join(',') },
  kafka: { name: 'KAFKA_BOOTSTRAP_SERVERS', value: ports(27041, 3).map((port) => `127.0.0.1:${port}`).join(',') },
};

/**
 * Sets the three variables to the clusters', replacing what the shell had (usually the single
 * brokers'); every child process inherits them, and config.ts reads them on each use.
 */
export function pointAtClusters(env: NodeJS.ProcessEnv = process.env): void {
  for (const { name, value } of Object.values(clusterVariables)) env[name] = value;
}

/** The scenarios measured on the clusters: plan.ts's send and consume cases, peers left out. */
export const clusterScenarioIds = ['send-awaited', 'send-concurrent', 'fire-and-forget', 'consume-c1', 'consume-c16'] as const;

/** What to run to start a cluster the probe could not reach. */
export const clusterStartHint = (broker: BrokerId): string => `start it: npm run brokers -- up --cluster ${broker}`;

/** Where a cluster run over every cluster and scenario writes its results (git-ignored: an output). */
export const clusterResultsPath = new URL('./cluster-results.json', import.meta.url);
/** Where a narrowed cluster run writes them instead, so that the docs and their file stay one run. */
export const narrowedClusterResultsPath = new URL('../../.cache/bench/cluster-results.json', import.meta.url);
