import type { Consumer } from './consumer.js';
import type { Logger } from '../config/logger.js';

/**
 * The consumers registered with an instance (or with the module-level API, across the default
 * instances it creates), and whether `runConsumers()` already went over them. A consumer
 * registered after that (a module imported late) would otherwise never start and say nothing:
 * the registry logs a warning naming its topics.
 *
 * @example
 * const registry = new ConsumerRegistry(); registry.add(consumer); await startConsumers(registry, {}, logger);
 */
export class ConsumerRegistry {
  readonly #consumers: Consumer[] = [];
  /** The logger of the last `runConsumers()` over this registry; unset before it and after {@link clear}. */
  #ranWith: Logger | undefined;

  /** Every registered consumer, in registration order. */
  get consumers(): readonly Consumer[] {
    return this.#consumers;
  }

  /** Registers `consumer`; warns when `runConsumers()` already ran and it would start on its own otherwise. */
  add(consumer: Consumer): Consumer {
    this.#consumers.push(consumer);
    if (this.#ranWith !== undefined && consumer.autoStart) {
      this.#ranWith.warn('a consumer was registered after runConsumers() ran, so it is not running: call its start(), or register it before runConsumers()', {
        topics: consumer.topics,
      });
    }
    return consumer;
  }

  /** Marks that `runConsumers()` went over the registry; later registrations are warned about through `logger`. */
  markRun(logger: Logger): void {
    this.#ranWith = logger;
  }

  /** Forgets every consumer (`resetMessaging()`), and that `runConsumers()` ran. */
  clear(): void {
    this.#consumers.length = 0;
    this.#ranWith = undefined;
  }
}
