import * as kafkajs from 'kafkajs';
import type { Admin, Consumer, ConsumerRunConfig, EachMessagePayload, Kafka, TopicPartitionOffsetAndMetadata } from 'kafkajs';
import { ClientSpans } from '../../adapters/client-spans.js';
import type { KafkaConnection } from '../../adapters/kafka/connection.js';
import { silentLogger } from '../../lib/config/logger.js';
import { deferred } from './wait.js';

type Listener = (event: { payload: Record<string, unknown> }) => void;
type EachMessage = (payload: EachMessagePayload) => Promise<void>;

/** One commitOffsets() call: what was asked, and whether it was answered yet. */
export interface FakeCommit {
  readonly offsets: readonly TopicPartitionOffsetAndMetadata[];
  answered: boolean;
}

/**
 * A stand-in for a kafkajs consumer that a member's session runs, for unit tests of the member.
 * It records what the member asked, as lines such as `commit t/0@5`, `committed t/0@5` or
 * `disconnect`; it holds every commitOffsets() answer while `holding`, until release(); the test
 * delivers messages and raises group events itself. Nothing of kafkajs is patched: the member
 * receives it through its connection (see {@link fakeKafkaConnection}).
 *
 * @example
 * const consumer = new FakeConsumer(); consumer.holding = true; await consumer.deliver('t', 0, '0');
 */
export class FakeConsumer {
  readonly events = { GROUP_JOIN: 'consumer.group_join', REBALANCING: 'consumer.rebalancing', CRASH: 'consumer.crash', FETCH: 'consumer.fetch' } as const;
  readonly calls: string[] = [];
  readonly commits: FakeCommit[] = [];
  /** While true, commitOffsets() answers only after release(). */
  holding = false;
  readonly #listeners = new Map<string, Listener[]>();
  #released = deferred();
  #eachMessage: EachMessage | undefined;
  readonly #assignment: Readonly<Record<string, readonly number[]>>;

  /** `assignment`: what GROUP_JOIN assigns when run() starts, per topic its partitions. */
  constructor(assignment: Readonly<Record<string, readonly number[]>>) {
    this.#assignment = assignment;
  }

  on(event: string, listener: Listener): () => void {
    this.#listeners.set(event, [...(this.#listeners.get(event) ?? []), listener]);
    return () => {};
  }

  /** Raises a kafkajs instrumentation event, as kafkajs does. */
  emit(event: string, payload: Record<string, unknown> = {}): void {
    for (const listener of this.#listeners.get(event) ?? []) listener({ payload });
  }

  async connect(): Promise<void> {
    this.calls.push('connect');
  }

  async subscribe(): Promise<void> {
    this.calls.push('subscribe');
  }

  /** Joins the group (GROUP_JOIN) and resolves, as kafkajs's run() does once it is consuming. */
  async run(config: ConsumerRunConfig = {}): Promise<void> {
    this.calls.push('run');
    this.#eachMessage = config.eachMessage;
    this.emit(this.events.GROUP_JOIN, { memberAssignment: this.#assignment });
  }

  /**
   * Hands the member one message, as kafkajs's fetch loop does: a partition's next message comes
   * only once the promise of the previous one settled, so the caller awaits each in turn.
   */
  deliver(topic: string, partition: number, offset: string, value = offset): Promise<void> {
    if (this.#eachMessage === undefined) throw new Error('run() was not called');
    const message = { key: null, value: Buffer.from(value), timestamp: '0', attributes: 0, offset, headers: {} };
    return this.#eachMessage({ topic, partition, message, heartbeat: async () => {}, pause: () => () => {} });
  }

  async commitOffsets(offsets: TopicPartitionOffsetAndMetadata[]): Promise<void> {
    const commit: FakeCommit = { offsets, answered: false };
    this.commits.push(commit);
    const line = offsets.map(({ topic, partition, offset }) => `${topic}/${partition}@${offset}`).join(' ');
    this.calls.push(`commit ${line}`);
    if (this.holding) await this.#released.promise;
    commit.answered = true;
    this.calls.push(`committed ${line}`);
  }

  /** Answers every commit held so far, and those asked from now on at once. */
  release(): void {
    this.holding = false;
    this.#released.resolve();
    this.#released = deferred();
  }

  seek({ topic, partition, offset }: { topic: string; partition: number; offset: string }): void {
    this.calls.push(`seek ${topic}/${partition}@${offset}`);
  }

  pause(): void {
    this.calls.push('pause');
  }

  resume(): void {
    this.calls.push('resume');
  }

  async disconnect(): Promise<void> {
    this.calls.push('disconnect');
  }
}

/**
 * A member's connection whose consumer client makes `consumer`, and an admin that reports every
 * assigned partition committed at offset 0 (so that the member positions nothing itself).
 *
 * @example
 * const { connection, admin } = fakeKafkaConnection(new FakeConsumer({ t: [0] }));
 */
export function fakeKafkaConnection(consumer: FakeConsumer): { readonly connection: KafkaConnection; readonly admin: Admin } {
  const kafka = { consumer: () => consumer as unknown as Consumer } as unknown as Kafka;
  const connection = { consumerClient: async () => ({ kafka, retry: {}, lib: kafkajs }), clientSpans: new ClientSpans('instrumentation', silentLogger) } as unknown as KafkaConnection;
  const reads = {
    fetchTopicOffsets: async () => [{ partition: 0, offset: '0', high: '0', low: '0' }],
    fetchOffsets: async ({ topics }: { topics: string[] }) => topics.map((topic) => ({ topic, partitions: [{ partition: 0, offset: '0', metadata: null }] })),
  };
  return { connection, admin: reads as unknown as Admin };
}
