import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin, ITopicConfig } from 'kafkajs';

/** How the topics eventwire creates are laid out; undefined replication values are derived. */
export interface TopicLayout {
  readonly partitions: number;
  readonly replicationFactor: number | undefined;
  readonly minInSyncReplicas: number | undefined;
}

/**
 * Creates the topics the adapter publishes to or subscribes to when they are missing, with the
 * configured partitions, replication factor and `min.insync.replicas` (see {@link topicSpec});
 * each topic is checked once per broker instance (a failed check is tried again by the next
 * caller). Topics that exist are never altered.
 *
 * @example
 * const topics = new TopicAdmin(() => connection.admin(), { partitions: 3, replicationFactor: undefined, minInSyncReplicas: undefined });
 * await topics.ensure(['orders']);
 */
export class TopicAdmin {
  /** Per topic: settles once it is known to exist. */
  readonly #ready = new Map<string, Promise<void>>();
  /** Topics known to exist: a publish to one skips the wait on `#ready`. */
  readonly #existing = new Set<string>();
  readonly #admin: () => Promise<Admin>;
  readonly #layout: TopicLayout;

  constructor(admin: () => Promise<Admin>, layout: TopicLayout) {
    this.#admin = admin;
    this.#layout = layout;
  }

  /** True once `topic` is known to exist. */
  exists(topic: string): boolean {
    return this.#existing.has(topic);
  }

  /** Resolves once every topic exists (created when missing). */
  async ensure(topics: readonly string[]): Promise<void> {
    const missing = [...new Set(topics)].filter((topic) => !this.#ready.has(topic));
    if (missing.length > 0) {
      const created = this.#create(missing);
      const forget = (topic: string) => (error: unknown) => {
        this.#ready.delete(topic); // the next call tries again
        throw error;
      };
      for (const topic of missing) this.#ready.set(topic, created.then(() => void this.#existing.add(topic), forget(topic)));
    }
    await Promise.all(topics.map((topic) => this.#ready.get(topic)));
  }

  async #create(topics: readonly string[]): Promise<void> {
    const client = await this.#admin();
    // Listed first: usually the topics exist, and creating one that exists costs a request to
    // the controller and an error line from kafkajs (see forwardLog).
    const existing = new Set(await client.listTopics());
    const absent = topics.filter((topic) => !existing.has(topic));
    if (absent.length === 0) return;
    const brokers = this.#layout.replicationFactor === undefined ? (await client.describeCluster()).brokers.length : 0;
    const specs = absent.map((topic) => topicSpec(topic, this.#layout, brokers));
    // Not kafkajs's waitForLeaders: it gives up when the broker answers "unknown topic", which a
    // KRaft broker does until the new topic reaches its metadata cache (seen with 20 topics
    // created at once on a busy machine), and the subscribe or publish then failed.
    await client.createTopics({ topics: specs, waitForLeaders: false });
    await leadersElected(client, absent);
  }
}

/**
 * The creation request of `topic`. Replication factor: the configured one, else 3, or the
 * number of brokers the cluster lists (`brokers`) when fewer, so that one broker still works.
 * `min.insync.replicas`: the configured one, else 2 from a replication factor of 3 up (one
 * replica may be lost while publishes go on, and an acknowledged message is on two), else 1.
 *
 * @example
 * topicSpec('orders', { partitions: 3, replicationFactor: undefined, minInSyncReplicas: undefined }, 5);
 * // { topic: 'orders', numPartitions: 3, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }
 */
export function topicSpec(topic: string, layout: TopicLayout, brokers: number): ITopicConfig {
  const replicationFactor = layout.replicationFactor ?? Math.max(1, Math.min(3, brokers));
  const minInSync = layout.minInSyncReplicas ?? (replicationFactor >= 3 ? 2 : 1);
  return { topic, numPartitions: layout.partitions, replicationFactor, configEntries: [{ name: 'min.insync.replicas', value: String(minInSync) }] };
}

/**
 * Waits until every partition of `topics` is known to the broker with a leader (an "unknown
 * topic" answer is waited out too): at most about 10 s, after which a publish or a subscription
 * still retries on its own.
 */
async function leadersElected(admin: Admin, topics: string[]): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const found = await admin.fetchTopicMetadata({ topics }).catch(() => undefined);
    if (found?.topics.every(({ partitions }) => partitions.length > 0 && partitions.every(({ leader }) => leader >= 0)) === true) return;
    await sleep(100);
  }
}
