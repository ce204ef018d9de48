/**
 * Where each real broker is expected: the environment variable the library reads for it, the
 * address used when that variable is unset, and the port its client assumes when an address
 * names none. Tests and the CI script's reachability check read the same variables as the
 * library, so a user can point all of them elsewhere.
 */
export const brokerDefaults = {
  redis: { variable: 'REDIS_URL', url: 'redis://127.0.0.1:6379', port: 6379 },
  rabbitmq: { variable: 'RABBITMQ_URL', url: 'amqp://guest:guest@127.0.0.1:5672', port: 5672 },
  kafka: { variable: 'KAFKA_BOOTSTRAP_SERVERS', url: '127.0.0.1:9092', port: 9092 },
} as const;

/** A broker the tests need a running server for. */
export type RealBrokerName = keyof typeof brokerDefaults;

/** The database the outbox tests use, found the same way: `DATABASE_URL`, or the local default. */
export const databaseDefaults = {
  postgres: { variable: 'DATABASE_URL', url: 'postgres://postgres@127.0.0.1:5432/test', port: 5432 },
} as const;

/** A server the tests need: a broker or the database. */
export type ServiceName = RealBrokerName | keyof typeof databaseDefaults;

/** Every service's variable, default address and default port. */
export const serviceDefaults: Readonly<Record<ServiceName, { readonly variable: string; readonly url: string; readonly port: number }>> = {
  ...brokerDefaults,
  ...databaseDefaults,
};

/** The broker URL (a Kafka bootstrap list for Kafka) that `env` configures, or the default. */
export function brokerUrl(name: ServiceName, env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[serviceDefaults[name].variable]?.trim();
  return configured === undefined || configured === '' ? serviceDefaults[name].url : configured;
}

/**
 * The host and port a client of `name` connects to first: for a Kafka bootstrap list, its
 * first entry. Throws a message naming the variable when the address cannot be parsed.
 *
 * @example
 * brokerAddress('redis', { REDIS_URL: 'redis://cache:6380/2' }); // { host: 'cache', port: 6380, ... }
 */
export function brokerAddress(name: ServiceName, env: NodeJS.ProcessEnv = process.env): { host: string; port: number; url: string } {
  const url = brokerUrl(name, env);
  const first = url.split(',')[0]?.trim() ?? '';
  let parsed: URL;
  try {
    parsed = new URL(first.includes('://') ? first : `tcp://${first}`);
  } catch {
    throw new Error(`${serviceDefaults[name].variable}=${url} is not an address ${name} can be reached at`);
  }
  // URL keeps the brackets of an IPv6 host; net.connect wants it without them.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1') || '127.0.0.1';
  return { host, port: parsed.port === '' ? serviceDefaults[name].port : Number(parsed.port), url };
}
