import { reachable } from '../../faults/probe.js';

/**
 * Where each real broker is expected and how to start it. Tests read addresses from the same
 * environment variables as the library, so a user can point them elsewhere.
 */
export const brokers = {
  redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', port: 6379 },
  rabbitmq: { url: process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672', port: 5672 },
  kafka: { url: process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092', port: 9092 },
} as const;

export type RealBrokerName = keyof typeof brokers;

/**
 * Mocha `before` hook body: when the broker is unreachable the suite fails in CI and is
 * marked pending elsewhere, with the command that starts it.
 *
 * @example
 * before(async function () { await requireBroker(this, 'redis'); });
 */
export async function requireBroker(context: Mocha.Context, name: RealBrokerName): Promise<void> {
  const { host, port } = hostAndPort(name);
  if (await reachable(port, host)) return;
  const reason = `${name} is not reachable at ${host}:${port}; start it with: npm run brokers -- up ${name}`;
  if (process.env.CI === 'true') throw new Error(`${reason} (CI requires every broker)`);
  console.warn(`      skipped: ${reason}`);
  context.skip();
}

function hostAndPort(name: RealBrokerName): { host: string; port: number } {
  const first = brokers[name].url.split(',')[0] ?? '';
  const withScheme = first.includes('://') ? first : `tcp://${first}`;
  const url = new URL(withScheme);
  return { host: url.hostname || '127.0.0.1', port: url.port === '' ? brokers[name].port : Number(url.port) };
}
