import { readdirSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { rabbitVersion } from './raw/rabbitmq.js';
import { redisVersion } from './raw/redis.js';
import type { BrokerId } from './types.js';

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly os: string;
  readonly node: string;
  readonly loadAverage: readonly number[];
  readonly brokers: Partial<Record<BrokerId, string>>;
}

/** Kafka does not tell its version over the wire to kafkajs; the jar that scripts/brokers.sh fetched does. */
function kafkaVersion(): string {
  try {
    const jar = readdirSync(new URL('../../.cache/kafka/lib/', import.meta.url)).find((name) => /^kafka_[\d.]+-[\d.]+\.jar$/.test(name));
    return jar?.replace(/^kafka_[\d.]+-/, '').replace(/\.jar$/, '') ?? 'unknown';
  } catch {
    return 'unknown (not started by scripts/brokers.sh)';
  }
}

const attempt = (read: () => Promise<string>): Promise<string> => read().catch((error: unknown) => `unreachable: ${error instanceof Error ? error.message : String(error)}`);

export async function describeMachine(brokers: readonly BrokerId[]): Promise<Machine> {
  const versions: Partial<Record<BrokerId, string>> = {};
  if (brokers.includes('redis')) versions.redis = await attempt(redisVersion);
  if (brokers.includes('rabbitmq')) versions.rabbitmq = await attempt(rabbitVersion);
  if (brokers.includes('kafka')) versions.kafka = kafkaVersion();
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
    brokers: versions,
  };
}
