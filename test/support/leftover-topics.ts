import { serviceDefaults } from './broker-address.js';
import { reachable } from './probe.js';

/**
 * Mocha root hook plugin (loaded through the `require` option of the test configuration): the
 * Kafka topics and consumer groups that appeared during a test run on the local default broker
 * (`KAFKA_BOOTSTRAP_SERVERS` unset) are deleted once the run ends.
 *
 * Why: most tests let their topics be created on first use and leave them. A development broker
 * kept running for a day held about 4,100 such topics, and on it new groups were slow to be
 * positioned on their topics, which failed tests that pass on a fresh broker. CI starts Kafka
 * empty when none runs, so this only keeps a long-lived development broker as a new one.
 * Unlike the RabbitMQ queues (leftover-queues.ts), a leftover topic does not fail the run.
 */

const adminTimeoutMs = 30_000;

interface Admin {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  listTopics(): Promise<string[]>;
  deleteTopics(request: { topics: string[]; timeout?: number }): Promise<void>;
  listGroups(): Promise<{ groups: { groupId: string }[] }>;
  deleteGroups(groupIds: string[]): Promise<unknown>;
}

let before: { topics: Set<string>; groups: Set<string> } | undefined;

async function withAdmin<T>(work: (admin: Admin) => Promise<T>): Promise<T> {
  const { Kafka, logLevel } = (await import('kafkajs')).default;
  const admin: Admin = new Kafka({ brokers: [serviceDefaults.kafka.url], logLevel: logLevel.NOTHING, retry: { retries: 2 } }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

async function snapshot(admin: Admin): Promise<{ topics: Set<string>; groups: Set<string> }> {
  const topics = (await admin.listTopics()).filter((topic) => !topic.startsWith('__'));
  const { groups } = await admin.listGroups();
  return { topics: new Set(topics), groups: new Set(groups.map((group) => group.groupId)) };
}

async function applies(): Promise<boolean> {
  if (process.env[serviceDefaults.kafka.variable]?.trim()) return false;
  return reachable(serviceDefaults.kafka.port, '127.0.0.1', 2_000);
}

/** Mocha's root hooks: see the module's contract. */
export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(adminTimeoutMs + 5_000);
    if (!(await applies())) return;
    before = await withAdmin(snapshot).catch(() => undefined);
  },
  async afterAll(this: Mocha.Context): Promise<void> {
    if (before === undefined) return;
    this.timeout(3 * adminTimeoutMs);
    const known = before;
    await withAdmin(async (admin) => {
      const now = await snapshot(admin);
      const topics = [...now.topics].filter((topic) => !known.topics.has(topic));
      const groups = [...now.groups].filter((group) => !known.groups.has(group));
      // A group that still has members cannot be deleted; it stays, and costs the broker little.
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => {});
      for (let start = 0; start < topics.length; start += 200) {
        await admin.deleteTopics({ topics: topics.slice(start, start + 200), timeout: adminTimeoutMs });
      }
    }).catch((error: unknown) => {
      process.stderr.write(`\n[leftover topics] could not delete the run's Kafka topics: ${error instanceof Error ? error.message : String(error)}\n`);
    });
  },
};
