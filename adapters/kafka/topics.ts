import { setTimeout as sleep } from 'node:timers/promises';
import type { Admin } from 'kafkajs';

/**
 * Creates the topics the adapter publishes to or subscribes to when they are missing, with the
 * configured number of partitions; each topic is checked once per broker instance (a failed
 * check is tried again by the next caller).
 *
 * @example
 * const topics = new TopicAdmin(() => connection.admin(), 3); await topics.ensure(['orders']);
 */
export class TopicAdmin {
  /** Per topic: settles once it is known to exist. */
  readonly #ready = new Map<string, Promise<void>>();
  /** Topics known to exist: a publish to one skips the wait on `#ready`. */
  readonly #existing = new Set<string>();
  readonly #admin: () => Promise<Admin>;
  readonly #partitions: number;

  constructor(admin: () => Promise<Admin>, partitions: number) {
    this.#admin = admin;
    this.#partitions = partitions;
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
    const specs = absent.map((topic) => ({ topic, numPartitions: this.#partitions }));
    // Not kafkajs's waitForLeaders: it gives up when the broker answers "unknown topic", which a
    // KRaft broker does until the new topic reaches its metadata cache (seen with 20 topics
    // created at once on a busy machine), and the subscribe or publish then failed.
    await client.createTopics({ topics: specs, waitForLeaders: false });
    await leadersElected(client, absent);
  }
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
