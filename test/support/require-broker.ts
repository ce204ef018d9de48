import { reachable } from './probe.js';
import { brokerAddress, brokerUrl, type ServiceName } from './broker-address.js';
import { isCi } from './ci.js';

export type { RealBrokerName, ServiceName } from './broker-address.js';

/**
 * The URL of each real broker the tests use: from the same environment variables as the
 * library (`REDIS_URL`, `RABBITMQ_URL`, `KAFKA_BOOTSTRAP_SERVERS`), or the local defaults.
 */
export const brokers = {
  redis: { url: brokerUrl('redis') },
  rabbitmq: { url: brokerUrl('rabbitmq') },
  kafka: { url: brokerUrl('kafka') },
  postgres: { url: brokerUrl('postgres') },
} as const;

/** How to start each service on this machine, for the skip and failure messages. */
export const startCommands: Readonly<Record<ServiceName, string>> = {
  redis: 'npm run brokers -- up redis',
  rabbitmq: 'npm run brokers -- up rabbitmq',
  kafka: 'npm run brokers -- up kafka',
  postgres: 'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start',
};

/**
 * Mocha `before` hook body: when the broker is unreachable the suite fails in CI (see
 * {@link isCi}) and is marked pending elsewhere, with the command that starts it.
 *
 * @example
 * before(async function () { await requireBroker(this, 'redis'); });
 */
export async function requireBroker(context: Mocha.Context, name: ServiceName): Promise<void> {
  const { host, port } = brokerAddress(name);
  if (await reachable(port, host)) return;
  const reason = `${name} is not reachable at ${host}:${port}; start it with: ${startCommands[name]}`;
  if (isCi()) throw new Error(`${reason} (CI requires every broker and the database)`);
  console.warn(`      skipped: ${reason}`);
  context.skip();
}
