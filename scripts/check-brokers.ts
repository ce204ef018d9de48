import { pathToFileURL } from 'node:url';
import { reachable } from '../test/support/probe.js';
import { brokerAddress, brokerUrl, serviceDefaults, type ServiceName } from '../test/support/broker-address.js';
import { startCommands } from '../test/support/require-broker.js';

/**
 * The CI script's broker check: whether every broker, and PostgreSQL, answers at the address the
 * tests will use (`REDIS_URL`, `RABBITMQ_URL`, `KAFKA_BOOTSTRAP_SERVERS`, `DATABASE_URL`, or the
 * local defaults), which need not be the standard ports that `scripts/brokers.sh` starts brokers on.
 *
 *   npx tsx scripts/check-brokers.ts [redis|rabbitmq|kafka|postgres ...]   # default: all four
 *
 * Prints one line per broker and exits 1 when any is unreachable (2 for an unknown name).
 */

/**
 * Why `name` cannot be reached at the address `env` configures (naming the address and the
 * variable it came from), or undefined when it accepts a TCP connection.
 *
 * @example
 * const problem = await brokerProblem('redis', { REDIS_URL: 'redis://127.0.0.1:6390' });
 */
export async function brokerProblem(name: ServiceName, env: NodeJS.ProcessEnv = process.env, roundTripMs = 20_000): Promise<string | undefined> {
  const { variable } = serviceDefaults[name];
  const source = env[variable]?.trim() ? `${variable}=${withoutPassword(env[variable])}` : `the default; ${variable} is unset`;
  let address: { host: string; port: number };
  try {
    address = brokerAddress(name, env);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  // Generous: a broker on a busy CI machine may take a while to accept a connection.
  if (await reachable(address.port, address.host, 5_000)) return name === 'rabbitmq' ? rabbitmqProblem(brokerUrl(name, env), source, roundTripMs) : undefined;
  return `${name} is not reachable at ${address.host}:${address.port} (${source}); start it (${startCommands[name]}) or point ${variable} at a running one`;
}

/**
 * Why the RabbitMQ at `url` accepts TCP but does not serve AMQP: a node can keep its port open
 * while it no longer answers (seen with thousands of idle quorum queues on a small single node),
 * and every RabbitMQ test would then wait out its timeout. A quorum queue is declared and deleted
 * within a bound; the message never includes the URL's credentials.
 */
/** `value` with the password of any `scheme://user:password@` in it masked. */
function withoutPassword(value: string): string {
  return value.replace(/(\/\/[^:@/]*:)[^@/]*@/g, '$1***@');
}

async function rabbitmqProblem(url: string, source: string, roundTripMs: number): Promise<string | undefined> {
  const { connect } = await import('amqplib');
  const queue = `eventwire-check-${process.pid}`;
  let timer: NodeJS.Timeout | undefined;
  let connection: Awaited<ReturnType<typeof connect>> | undefined;
  const bound = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no AMQP answer within ${roundTripMs} ms`), roundTripMs);
  });
  const roundTrip = (async (): Promise<string | undefined> => {
    connection = await connect(url);
    const channel = await connection.createChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.deleteQueue(queue);
    return undefined;
  })().catch((error: unknown) => withoutPassword(error instanceof Error ? error.message : String(error)));
  const problem = await Promise.race([roundTrip, bound]);
  clearTimeout(timer);
  // A connect still pending after the bound is closed when it ends; main() exits regardless.
  void roundTrip.finally(() => connection?.close().catch(() => {}));
  if (problem === undefined) return undefined;
  return `rabbitmq accepts TCP (${source}) but did not declare and delete a quorum queue: ${problem}. A node holding thousands of leftover queues can stop answering: check 'rabbitmqctl list_queues' and restart it ('rabbitmqctl stop' then 'rabbitmq-server -detached')`;
}

async function main(args: readonly string[]): Promise<number> {
  const known = Object.keys(serviceDefaults) as ServiceName[];
  const unknown = args.filter((arg) => !known.includes(arg as ServiceName));
  if (unknown.length > 0) {
    console.error(`unknown broker(s): ${unknown.join(', ')} (expected ${known.join(', ')})`);
    return 2;
  }
  const names = args.length === 0 ? known : (args as ServiceName[]);
  let failed = 0;
  for (const name of names) {
    const problem = await brokerProblem(name);
    if (problem === undefined) {
      const { host, port } = brokerAddress(name);
      console.log(`${name.padEnd(9)} reachable at ${host}:${port}`);
    } else {
      failed += 1;
      console.error(`ERROR: ${problem}`);
    }
  }
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // exit(): a RabbitMQ that accepted TCP and never answered may still hold a socket open.
  process.exit(await main(process.argv.slice(2)));
}
