import type { Consumer } from './consumer.js';
import type { ConsumerRegistry } from './consumer-registry.js';
import { InvalidArgumentError } from '../errors/index.js';
import type { Logger } from '../config/logger.js';
import { expectKnownKeys, expectObject, expectTopics } from '../config/validate.js';

/**
 * Options of `runConsumers`.
 *
 * @example
 * await runConsumers({ topics: ['orders.created'] });
 */
export interface RunConsumersOptions {
  /** Only these topics (the CLI's `--topic`); each must belong to a registered consumer. */
  readonly topics?: readonly string[];
}

/**
 * The consumers `runConsumers` started.
 *
 * @example
 * const running = await runConsumers(); process.once('SIGTERM', () => running.stop());
 */
export interface RunningConsumers {
  readonly consumers: readonly Consumer[];
  /** Drains and stops every consumer started here. */
  stop(): Promise<void>;
  /** Settles when all stopped; rejects when any subscription failed. */
  readonly closed: Promise<void>;
}

/**
 * Starts every `autoStart` consumer of a registry, restricted to `topics` when given. Fails up
 * front on an unknown topic, on nothing to run, and on two consumers sharing a group on one
 * topic (they would split its messages between them). Until the run's `stop()`, a consumer
 * registered later is warned about (see ConsumerRegistry); consumers already running are left as
 * they are.
 *
 * @example
 * const running = await startConsumers(registry, { topics: ['orders.created'] }, logger);
 */
export async function startConsumers(
  registry: ConsumerRegistry,
  options: RunConsumersOptions = {},
  logger: Logger,
): Promise<RunningConsumers> {
  expectKnownKeys('runConsumers options', expectObject('runConsumers options', options), ['topics']);
  const wanted = options.topics === undefined || options.topics.length === 0 ? undefined : new Set(expectTopics('topics', options.topics));
  const candidates = registry.consumers.filter((consumer) => consumer.autoStart);
  if (wanted !== undefined) {
    const known = new Set(candidates.flatMap((consumer) => consumer.topics));
    const unknown = [...wanted].filter((topic) => !known.has(topic));
    if (unknown.length > 0) {
      throw new InvalidArgumentError(
        'topics',
        `No registered consumer handles ${unknown.map((t) => `"${t}"`).join(', ')}. Registered topics: ${[...known].join(', ') || 'none'}.`,
      );
    }
  }
  const plan = candidates
    .map((consumer) => ({ consumer, topics: consumer.topics.filter((topic) => wanted === undefined || wanted.has(topic)) }))
    .filter((entry) => entry.topics.length > 0);
  if (plan.length === 0) {
    throw new InvalidArgumentError(
      'consumers',
      'No consumers to run: register handlers with createConsumer() or messageHandler() (with autoStart left true) before runConsumers().',
    );
  }
  const seen = new Set<string>();
  for (const { consumer, topics } of plan) {
    for (const topic of topics) {
      const slot = `${consumer.groupId}\u0000${topic}`;
      if (seen.has(slot)) {
        throw new InvalidArgumentError(
          'groupId',
          `Two consumers use group "${consumer.groupId}" on topic "${topic}"; they would split its messages. Give each its own groupId.`,
        );
      }
      seen.add(slot);
    }
  }
  const started: Consumer[] = [];
  try {
    for (const { consumer, topics } of plan) {
      await consumer.start({ topics });
      started.push(consumer);
      logger.info('consumer started', { groupId: consumer.groupId, topics });
    }
  } catch (error) {
    await Promise.all(started.map((consumer) => consumer.stop()));
    throw error;
  }
  const ended = registry.runStarted(logger);
  return {
    consumers: started,
    stop: async () => {
      ended();
      await Promise.all(started.map((consumer) => consumer.stop()));
    },
    closed: Promise.all(started.map((consumer) => consumer.closed)).then(() => undefined),
  };
}
