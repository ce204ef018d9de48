import { reachable } from './probe.js';
import { brokerAddress, brokerUrl, type RealBrokerName } from './broker-address.js';
import { isCi } from './ci.js';

export type { RealBrokerName } from './broker-address.js';

/**
 * The URL of each real broker the tests use: from the same environment variables as the
 * library (`REDIS_URL`, `RABBITMQ_URL`, `KAFKA_BOOTSTRAP_SERVERS`), or the local defaults.
 */
export const brokers = {
  redis: { url: brokerUrl('redis') },
  rabbitmq: { url: brokerUrl('rabbitmq') },
  kafka: { url: brokerUrl('kafka') },
} as const;

/**
 * Mocha `before` hook body: when the broker is unreachable the suite fails in CI (see
 * {@link isCi}) and is marked pending elsewhere, with the command that starts it.
 *
 * @example
 * before(async function () { await requireBroker(this, 'redis'); });
 */
export async function requireBroker(context: Mocha.Context, name: RealBrokerName): Promise<void> {
  const { host, port } = brokerAddress(name);
  if (await reachable(port, host)) return;
  const reason = `${name} is not reachable at ${host}:${port}; start it with: npm run brokers -- up ${name}`;
  if (isCi()) throw new Error(`${reason} (CI requires every broker)`);
  console.warn(`      skipped: ${reason}`);
  context.skip();
}
