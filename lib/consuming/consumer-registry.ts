import type { Consumer } from './consumer.js';
import type { Logger } from '../config/logger.js';

/**
 * The consumers registered with an instance (or with the module-level API, across the default
 * instances it creates), and whether a `runConsumers()` run is going. A consumer registered
 * while one is (a module imported late) would otherwise never start and say nothing: the
 * registry logs a warning naming its topics.
 *
 * @example
 * const registry = new ConsumerRegistry(); registry.add(consumer); await startConsumers(registry, {}, logger);
 */
export class ConsumerRegistry {
  readonly #consumers: Consumer[] = [];
  /** The loggers of the `runConsumers()` runs not yet stopped, most recent last. */
  readonly #runs: Logger[] = [];

  /** Every registered consumer, in registration order. */
  get consumers(): readonly Consumer[] {
    return this.#consumers;
  }

  /** Registers `consumer`; warns when a `runConsumers()` run is going and it would start on its own otherwise. */
  add(consumer: Consumer): Consumer {
    this.#consumers.push(consumer);
    const logger = this.#runs.at(-1);
    if (logger !== undefined && consumer.autoStart) {
      logger.warn('a consumer was registered after runConsumers() ran, so it is not running: call its start(), or register it before runConsumers()', {
        topics: consumer.topics,
      });
    }
    return consumer;
  }

  /**
   * Marks that a `runConsumers()` run started the registry's consumers: until the returned
   * function is called (its `stop()`), later registrations are warned about through `logger`.
   */
  runStarted(logger: Logger): () => void {
    this.#runs.push(logger);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#runs.splice(this.#runs.indexOf(logger), 1);
    };
  }

  /** Forgets every consumer (`resetMessaging()`), and every run. */
  clear(): void {
    this.#consumers.length = 0;
    this.#runs.length = 0;
  }
}
