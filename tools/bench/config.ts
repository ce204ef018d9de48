import type { BrokerId, Sizes } from './types.js';

/**
 * Where the brokers are: the same variables and defaults as the tests. Read on each use, so that
 * `--cluster` (cluster.ts) can point the run at the clusters after this module was loaded.
 */
export const addresses = {
  get redis(): string {
    return process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  },
  get rabbitmq(): string {
    return process.env.RABBITMQ_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  },
  get kafka(): string {
    return process.env.KAFKA_BOOTSTRAP_SERVERS ?? '127.0.0.1:9092';
  },
};

export const kafkaBrokers = (): string[] => addresses.kafka.split(',').map((entry) => entry.trim());

/**
 * The node URLs of a RabbitMQ or Redis address, split as eventwire splits its variables: only
 * where a new URL starts, so that a comma inside a password stays.
 */
export const nodeUrls = (address: string): string[] => address.split(/,\s*(?=(?:amqps?|rediss?):\/\/)/i).map((entry) => entry.trim());

/** Partitions of every Kafka topic of the bench: eventwire's default for the topics it creates. */
export const kafkaPartitions = 3;

/** eventwire's RabbitMQ exchange (its default). */
export const eventwireExchange = 'eventwire';

/** A typical event payload (about 170 bytes of JSON), the same for every implementation. */
export const payload = {
  id: 48213,
  email: 'ana.lopez@example.com',
  name: 'Ana López',
  plan: 'team',
  createdAt: '2026-02-01T12:00:00.000Z',
  tags: ['signup', 'web'],
} as const;

/** The event every HTTP route variant publishes for the user it created (eventwire's and by hand). */
export const routeEventName = 'user.created';

export const encodedPayload = (): Buffer => Buffer.from(JSON.stringify(payload));

const quick: Sizes = {
  sendSeconds: 0.8,
  // As long as a full run's: a shorter warm-up leaves the measured window to V8 still optimizing
  // the send path, which is deeper on eventwire's side than the raw client's, and on Kafka to the
  // first Produce to each partition of the case's new topic.
  warmupSeconds: 1,
  inFlight: 100,
  batchSize: 500,
  emitEvents: { memory: 20_000, redis: 10_000, rabbitmq: 5_000, kafka: 10_000 },
  consumeMessages: { memory: 20_000, redis: 3_000, rabbitmq: 3_000, kafka: 20_000 },
  consumeSeconds: 10,
  httpSeconds: 5,
  httpWarmupSeconds: 0,
  httpConnections: 50,
  caseTimeoutSeconds: 90,
};

const full: Sizes = {
  sendSeconds: 4,
  warmupSeconds: 1,
  inFlight: 100,
  batchSize: 500,
  emitEvents: { memory: 100_000, redis: 60_000, rabbitmq: 30_000, kafka: 60_000 },
  // The in-process broker drains fastest: its window must be long enough that compiling the code
  // one side runs and the other does not (a fixed cost per process) weighs nothing in it.
  consumeMessages: { memory: 500_000, redis: 15_000, rabbitmq: 15_000, kafka: 60_000 },
  consumeSeconds: 30,
  httpSeconds: 15,
  httpWarmupSeconds: 1,
  httpConnections: 50,
  caseTimeoutSeconds: 180,
};

export const sizesFor = (mode: 'quick' | 'full'): Sizes => (mode === 'quick' ? quick : full);

/** Repetitions of each case: the table shows the median. */
export const defaultReps = { quick: 1, full: 3 } as const;

export const isBroker = (value: string): value is BrokerId => ['redis', 'rabbitmq', 'kafka', 'memory'].includes(value);
