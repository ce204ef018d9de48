import { bindConsumer, type Consumer, type ConsumerRuntime } from './consuming/consumer.js';
import { ConsumerRegistry } from './consuming/consumer-registry.js';
import {
  consumerDefinition,
  messageHandlerDefinition,
  type ConsumerOptions,
  type MessageHandlerOptions,
} from './consuming/consumer-options.js';
import type { Event } from './envelope/event.js';
import { MessagingAlreadyConfiguredError, MessagingNotConfiguredError } from './errors/index.js';
import type { MessageFunction } from './consuming/message-handler.js';
import { openInstance, type Instance, type Messaging, type PublishEventOptions } from './messaging.js';
import { environmentNamesBroker, type MessagingOptions } from './config/options.js';
import type { Producer } from './publishing/producer.js';
import type { RunConsumersOptions, RunningConsumers } from './consuming/run-consumers.js';
import type { SchemaOutput, StandardSchema } from './envelope/schema.js';

// The module-level API: one default instance plus a registry that modules fill at import time,
// possibly before configureMessaging runs (as the seed's decorators do).
const registry = new ConsumerRegistry();
let current: Instance | undefined;

const runtimeOfDefault = (): ConsumerRuntime => defaultInstance().runtime;

/** The default instance, created from the environment on first use when none was configured. */
function defaultInstance(): Instance {
  if (current === undefined) {
    if (!environmentNamesBroker(process.env)) throw new MessagingNotConfiguredError();
    current = openInstance({}, registry);
  }
  return current;
}

/**
 * Configures the default instance used by the module-level functions. Code wins over the
 * environment. Calling it again replaces an instance that was never used or is closed (an unused
 * one is closed now, which releases its telemetry bindings); one in use throws
 * {@link MessagingAlreadyConfiguredError}: close it first (`resetMessaging()`).
 *
 * @example
 * configureMessaging({ broker: 'kafka', bootstrapServers: 'localhost:9092', source: 'user-service' });
 */
export function configureMessaging(options: MessagingOptions = {}): Messaging {
  const usage = current?.usage();
  if (usage === 'in-use') throw new MessagingAlreadyConfiguredError();
  const previous = current;
  current = openInstance(options, registry);
  // Never connected, no consumers, no buffered events: closing it reaches no broker and cannot
  // fail but for a bug, which the rejection then reports as unhandled.
  if (previous !== undefined && usage === 'idle') void previous.messaging.close();
  return current.messaging;
}

/**
 * The default instance; configured from the environment when `MESSAGING_BROKER` is set, else
 * {@link MessagingNotConfiguredError}.
 *
 * @example
 * await getMessaging().close();
 */
export function getMessaging(): Messaging {
  return defaultInstance().messaging;
}

/**
 * Closes the default instance and forgets it and its registered consumers (tests, shutdown).
 *
 * @example
 * afterEach(() => resetMessaging());
 */
export async function resetMessaging(): Promise<void> {
  const instance = current;
  current = undefined;
  registry.clear();
  await instance?.messaging.close();
}

/**
 * The default producer: `send()` resolves on the broker's acknowledgement.
 *
 * @example
 * await getProducer().send('orders.created', { order_id: 1 });
 */
export function getProducer(): Producer {
  return getMessaging().getProducer();
}

/**
 * Publishes an event `{ id, name, data, timestamp, source }` and waits for the acknowledgement.
 *
 * @example
 * await publishEvent('user.updated', { id: 1, email: 'a@b.c' }, { topic: 'user-events' });
 */
export function publishEvent<T>(name: string, data: T, options?: PublishEventOptions): Promise<Event<T>> {
  return getMessaging().publishEvent(name, data, options);
}

/**
 * Registers an event consumer on the default instance (the seed's `@consumer` + `@on_event`).
 *
 * @example
 * createConsumer({ groupId: 'order-service', topics: ['user-events'], handlers: { 'user.created': onCreated } });
 */
export function createConsumer<C extends object = object>(options: ConsumerOptions<C>): Consumer {
  const consumer = bindConsumer(consumerDefinition(options), runtimeOfDefault);
  return registry.add(consumer);
}

/**
 * Registers a payload handler on the default instance (the seed's `@message_handler`).
 *
 * @example
 * messageHandler({ topic: 'orders.created' }, async function sendConfirmation(message) { … });
 */
export function messageHandler<S extends StandardSchema | undefined = undefined, C extends object = object>(
  options: MessageHandlerOptions<S, C>,
  fn: MessageFunction<S extends StandardSchema ? SchemaOutput<S> : unknown, C>,
): Consumer {
  const consumer = bindConsumer(messageHandlerDefinition(options, fn as MessageFunction<never, C>), runtimeOfDefault);
  return registry.add(consumer);
}

/**
 * Starts every registered consumer (or those of `topics`) on the default instance.
 *
 * @example
 * const running = await runConsumers({ topics: ['orders.created'] });
 */
export function runConsumers(options?: RunConsumersOptions): Promise<RunningConsumers> {
  return getMessaging().runConsumers(options);
}
