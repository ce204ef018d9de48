import { execFile } from 'node:child_process';
import { isCi } from './ci.js';
import { brokerUrl, serviceDefaults } from './broker-address.js';

/**
 * Mocha root hook plugin (loaded through the `require` option of the test configuration): the
 * RabbitMQ queues a test run declared and did not delete are deleted once the run ends, and in
 * CI the run fails naming them, so that the test which leaked them gets fixed.
 *
 * Why: eventwire declares quorum queues by default, and each quorum queue is a Raft group of its
 * own on the node. A single-node RabbitMQ 3.10 that had collected test queues over a day of runs
 * stopped answering AMQP and `rabbitmqctl` altogether; the next CI run spent 18 minutes in
 * timeouts. On the machine's broker a test run must leave nothing behind.
 *
 * What counts as the run's: the queues `rabbitmqctl list_queues` shows at the end that it did not
 * show at the start. So this works only on the local default broker (`RABBITMQ_URL` unset) with
 * `rabbitmqctl` usable; elsewhere it does nothing. Outside CI it deletes without failing; two test
 * runs at once on one broker would see each other's queues, so do not run them side by side.
 */

const ctlTimeoutMs = 30_000;

let before: Set<string> | undefined;

/** The queue names on the local node, or undefined when `rabbitmqctl` is missing, refused or slow. */
export function listQueues(): Promise<string[] | undefined> {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/usr/lib/rabbitmq/bin`;
  return new Promise((resolve) => {
    execFile('rabbitmqctl', ['list_queues', '--quiet', '--no-table-headers', 'name'], { timeout: ctlTimeoutMs, env: { ...process.env, PATH: path } }, (error, stdout) => {
      if (error) resolve(undefined);
      else resolve(stdout.split('\n').map((line) => line.trim()).filter((line) => line !== ''));
    });
  });
}

/** Deletes `queues` over AMQP (amqplib, the test suite's own client); one that is gone already is fine. */
export async function deleteQueues(queues: readonly string[], url = brokerUrl('rabbitmq')): Promise<void> {
  if (queues.length === 0) return;
  const { connect } = await import('amqplib');
  const connection = await connect(url);
  try {
    const channel = await connection.createChannel();
    for (const queue of queues) await channel.deleteQueue(queue);
  } finally {
    await connection.close();
  }
}

function applies(): boolean {
  return !process.env[serviceDefaults.rabbitmq.variable]?.trim();
}

/** Mocha's root hooks: see the module's contract. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    if (!applies()) return;
    this.timeout(ctlTimeoutMs + 5_000);
    const names = await listQueues();
    if (names === undefined && isCi()) process.stderr.write('[leftover queues] rabbitmqctl cannot list the local queues: the run is not checked for leftover queues\n');
    before = names === undefined ? undefined : new Set(names);
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    if (before === undefined) return;
    this.timeout(2 * ctlTimeoutMs + 10_000);
    const known = before;
    const after = await listQueues();
    if (after === undefined) return;
    const left = after.filter((name) => !known.has(name)).sort();
    if (left.length === 0) return;
    await deleteQueues(left);
    const message = `the test run left ${left.length} RabbitMQ queue(s) behind (now deleted): ${left.join(', ')}; delete them in the test's after hook`;
    if (isCi()) throw new Error(message);
    process.stderr.write(`\n[leftover queues] ${message}\n`);
  },
};

/** The queues RabbitMQ holds for consumer groups: see {@link consumerQueues}. */
export interface ConsumerQueues {
  /** Records that `groupId` consumed `topics`, whose queues `delete()` removes. */
  add(groupId: string, topics: readonly string[]): void;
  /** Deletes the group queues (`<group>.<topic>`) and the dead-letter queues (`<topic>.dlq`) recorded so far. */
  delete(): Promise<void>;
}

/**
 * A record of the consumer groups a RabbitMQ test started, for its after hook to delete their
 * queues: the names follow docs/wire-format.md (`<group>.<topic>`, dead letters in `<topic>.dlq`).
 *
 * @example
 * const queues = consumerQueues();
 * after(() => queues.delete());
 * queues.add('billing', ['orders']);
 */
export function consumerQueues(): ConsumerQueues {
  const names = new Set<string>();
  return {
    add(groupId, topics) {
      for (const topic of topics) names.add(`${groupId}.${topic}`).add(`${topic}.dlq`);
    },
    async delete() {
      const list = [...names];
      names.clear();
      await deleteQueues(list);
    },
  };
}
