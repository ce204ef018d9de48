import { ownsClientSpans, type Broker, type OutgoingMessage, type TopicLag } from './broker.js';
import { bindConsumer, type Consumer, type ConsumerRuntime } from './consuming/consumer.js';
import { ConsumerRegistry } from './consuming/consumer-registry.js';
import { consumerDefinition, messageHandlerDefinition, type ConsumerOptions, type MessageHandlerOptions } from './consuming/consumer-options.js';
import { createBroker } from './config/broker-registry.js';
import type { Event } from './envelope/event.js';
import { MessagingClosedError } from './errors/index.js';
import { createEventBuffer } from './publishing/event-buffer.js';
import { watchUnroutable } from './publishing/unroutable-watch.js';
import { prepareEventMessage, type PreparedEvent, type PublishEventOptions } from './publishing/prepare-event.js';
import type { Logger } from './config/logger.js';
import type { MessageFunction } from './consuming/message-handler.js';
import { resolveOptions, type MessagingOptions } from './config/options.js';
import { createPublisher, type Producer } from './publishing/producer.js';
import { bounded } from './waiting.js';
import { startConsumers, type RunConsumersOptions, type RunningConsumers } from './consuming/run-consumers.js';
import type { SchemaOutput, StandardSchema } from './envelope/schema.js';
import { createStats, type MessagingStats } from './stats.js';
import { createTelemetry } from './telemetry/telemetry.js';
import { healthOf, type MessagingHealth } from './health.js';
import { lagOf, quietLag } from './lag.js';
import { expectFunction, expectKnownKeys, expectObject } from './config/validate.js';
import { expectDelay } from './config/expect-delay.js';

export type { PublishEventOptions } from './publishing/prepare-event.js';

export { eventIdHeader, eventNameHeader } from './envelope/event.js';

/** Called with each batch the broker acknowledged. */
export type PublishListener = (topic: string, messages: readonly OutgoingMessage[]) => void;

/**
 * One messaging instance: a broker connection, a producer, registered consumers, counters.
 * `configureMessaging` makes the default one; `createMessaging` makes independent ones.
 *
 * @example
 * const messaging = createMessaging({ broker: 'redis', url: 'redis://localhost:6379' });
 * await messaging.publishEvent('user.created', { id: 1 }, { topic: 'user-events' });
 */
export interface Messaging {
  /** Written into each event's `source`. */
  readonly source: string;
  readonly defaultTopic: string | undefined;
  readonly logger: Logger;
  /** `kafka`, `rabbitmq`, `redis`, `memory`, or the `name` of the Broker object given. */
  readonly brokerName: string;
  getProducer(): Producer;
  /** Wraps `data` in an event and sends it; resolves with the event once acknowledged. */
  publishEvent<T>(name: string, data: T, options?: PublishEventOptions): Promise<Event<T>>;
  /**
   * Fire-and-forget: queues the event for background publishing and returns it at once. Bad
   * input throws; broker trouble never does (it is buffered, retried, logged and counted).
   */
  emitEvent<T>(name: string, data: T, options?: PublishEventOptions): Event<T>;
  createConsumer<C extends object = object>(options: ConsumerOptions<C>): Consumer;
  messageHandler<S extends StandardSchema | undefined = undefined, C extends object = object>(
    options: MessageHandlerOptions<S, C>,
    fn: MessageFunction<S extends StandardSchema ? SchemaOutput<S> : unknown, C>,
  ): Consumer;
  /** Consumers registered on this instance, in registration order. */
  consumers(): readonly Consumer[];
  /** Starts registered consumers with `autoStart` (optionally only some topics). */
  runConsumers(options?: RunConsumersOptions): Promise<RunningConsumers>;
  /** Listens to every acknowledged publish; returns the function that stops listening. */
  onPublished(listener: PublishListener): () => void;
  stats(): Readonly<MessagingStats>;
  /** The connection's and consumers' state, and whether the instance is ready and live (docs/observability.md). */
  health(): MessagingHealth;
  /**
   * The lag of each registered consumer's group on its topics, asked of the broker now (one round
   * trip per group); empty without consumers or with a broker that cannot tell
   * (docs/observability.md, "Consumer lag"). Rejects when the broker cannot be asked.
   */
  lag(): Promise<readonly TopicLag[]>;
  /**
   * Stops consumers (draining their in-flight handlers), flushes buffered events for up to
   * `timeoutMs` (default 5000), and closes the broker connection. Events still unacknowledged at
   * the deadline are counted in `eventsDropped` and logged; close() then returns by the deadline
   * even when the broker does not answer the close.
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
}

/**
 * Creates an independent instance. Nothing connects until first use.
 *
 * @example
 * const messaging = createMessaging({ broker: 'memory', source: 'tests' });
 */
export function createMessaging(options: MessagingOptions = {}): Messaging {
  return openInstance(options, new ConsumerRegistry()).messaging;
}

/** An instance with what the module-level API needs beside it: the runtime its consumers bind to. */
export interface Instance {
  readonly messaging: Messaging;
  readonly runtime: ConsumerRuntime;
  /** `closing` once close() was called; `in-use` while dropping it would leave something behind (a broker reached, consumers running, events buffered); else `idle`. */
  usage(): 'idle' | 'in-use' | 'closing';
}

/**
 * {@link createMessaging} over a consumer registry the caller owns: the module-level API shares one
 * registry across the default instances it creates, so that handlers registered at import time run
 * on whichever instance is configured later. Not part of the public API.
 *
 * @example
 * const { messaging, runtime } = openInstance(options, registry);
 */
export function openInstance(options: MessagingOptions, registry: ConsumerRegistry): Instance {
  const resolved = resolveOptions(options, process.env);
  const { logger } = resolved;
  const stats = createStats();
  const listeners = new Set<PublishListener>();
  const running = new Set<Consumer>();
  // Created (not connected) at once: a misspelt brokerOptions name or a missing client library
  // throws here, not at the first publish.
  const instance = createBroker(resolved);
  watchUnroutable(instance, stats, logger);
  let used = false;
  let closed = false;
  /** From the moment close() is called: consumers and the buffer drain, health() says not ready. */
  let draining = false;

  const broker = (): Broker => {
    if (closed) throw new MessagingClosedError();
    used = true;
    return instance;
  };
  // Through broker(): an instance whose gauges connected it closes that connection too. Without
  // consumers nothing is asked, so that a scrape never connects an instance that only publishes.
  const lag = async (): Promise<readonly TopicLag[]> => (registry.consumers.length === 0 ? [] : lagOf(broker(), registry.consumers));
  const telemetry = createTelemetry(resolved.telemetry, { system: instance.name, url: resolved.url }, stats, quietLag(lag, logger, 'OpenTelemetry'));
  // The client's own OpenTelemetry instrumentation would trace eventwire's messages a second time.
  if (telemetry.tracing && ownsClientSpans(instance)) instance.ownClientSpans();

  const publisher = createPublisher({
    options: resolved,
    stats,
    telemetry,
    broker,
    published(topic, messages) {
      // After close() gave up on them, late acknowledgements of abandoned events (a silent broker
      // that comes back while the connection is torn down) are not reported: close() already
      // counted those events in eventsDropped.
      if (closed) return;
      for (const listener of listeners) listener(topic, messages);
    },
  });
  // Outbox-only mode: events are staged (stored durably) instead of sent; getProducer() still sends.
  const { outbox } = resolved;
  const deliver = outbox === undefined ? publisher.publish : (topic: string, messages: readonly OutgoingMessage[]) => outbox.stageMessages(topic, messages);
  const buffer = createEventBuffer({ limit: resolved.maxBufferedEvents, logger, stats, publish: deliver });

  const runtime: ConsumerRuntime = {
    logger,
    stats,
    telemetry,
    publisher,
    source: resolved.source,
    sourceConfigured: resolved.sourceConfigured,
    broker,
    track(consumer, isRunning) {
      if (isRunning) running.add(consumer);
      else running.delete(consumer);
    },
  };

  const prepareEvent = <T>(name: string, data: T, eventOptions?: PublishEventOptions): PreparedEvent<T> => {
    if (closed) throw new MessagingClosedError();
    return prepareEventMessage({ options: resolved, publisher, brokerName: instance.name }, name, data, eventOptions);
  };

  const register = (consumer: Consumer): Consumer => {
    if (closed) throw new MessagingClosedError();
    return registry.add(consumer);
  };

  const messaging: Messaging = {
    source: resolved.source,
    defaultTopic: resolved.defaultTopic,
    logger,
    brokerName: instance.name,
    getProducer: () => ({
      send: (topic, message, sendOptions) => (closed ? Promise.reject(new MessagingClosedError()) : publisher.send(topic, message, sendOptions)),
    }),
    async publishEvent(name, data, eventOptions) {
      const { topic, event, message } = prepareEvent(name, data, eventOptions);
      // Outbox-only: the relay sends it later; the trace goes on from here through the stored headers.
      await deliver(topic, [outbox === undefined ? message : telemetry.create(topic, message)]);
      return event;
    },
    emitEvent(name, data, eventOptions) {
      let prepared: ReturnType<typeof prepareEvent<typeof data>>;
      try {
        prepared = prepareEvent(name, data, eventOptions);
      } catch (error) {
        stats.eventsDropped += 1;
        throw error;
      }
      const { topic, event, message } = prepared;
      // The span starts here, in the caller's (the request's) context, and ends once sent. In
      // outbox-only mode nothing is sent here: a `create` span carries the context to the relay.
      const traced = outbox === undefined ? telemetry.begin(topic, message) : telemetry.create(topic, message);
      if (!buffer.push(topic, traced)) telemetry.dropped(traced, 'buffer_full');
      return event;
    },
    createConsumer: (consumerOptions) => register(bindConsumer(consumerDefinition(consumerOptions), () => runtime)),
    messageHandler<S extends StandardSchema | undefined, C extends object>(
      handlerOptions: MessageHandlerOptions<S, C>,
      fn: MessageFunction<S extends StandardSchema ? SchemaOutput<S> : unknown, C>,
    ) {
      return register(bindConsumer(messageHandlerDefinition(handlerOptions, fn as MessageFunction<never, C>), () => runtime));
    },
    consumers: () => [...registry.consumers],
    runConsumers: (runOptions) => (closed ? Promise.reject(new MessagingClosedError()) : startConsumers(registry, runOptions, logger)),
    onPublished(listener) {
      listeners.add(expectFunction('listener', listener));
      return () => listeners.delete(listener);
    },
    stats: () => ({ ...stats }),
    health: () => healthOf({ broker: instance, consumers: registry.consumers, stats, closing: draining }),
    lag,
    async close(closeOptions = {}) {
      expectKnownKeys('close options', expectObject('close options', closeOptions), ['timeoutMs']);
      if (closed) return;
      draining = true;
      const timeoutMs = expectDelay('timeoutMs', closeOptions.timeoutMs ?? 5_000, 0);
      await Promise.all([...running].map((consumer) => consumer.stop()));
      const deadline = Date.now() + timeoutMs;
      const left = await buffer.flush(timeoutMs);
      if (left > 0) for (const message of buffer.abandon()) telemetry.dropped(message, 'closed');
      closed = true;
      telemetry.close();
      if (!used) return;
      const closing = instance.close();
      // A broker that answers closes in milliseconds: wait for it, so no socket outlives close().
      // One that left events unacknowledged is likely silent, and its adapter may wait seconds
      // for a close-ok that never comes (each bounds that wait and then ends its sockets): the
      // caller's timeout wins, and the teardown finishes in the background.
      if (left === 0) return closing;
      if (await bounded(closing, Math.max(0, deadline - Date.now()))) return closing;
      closing.catch((error: unknown) => logger.warn('closing the broker connection failed', { error }));
      logger.warn('the broker did not confirm the close within timeoutMs; its connection is torn down in the background', { timeoutMs });
    },
  };
  const usage = (): 'idle' | 'in-use' | 'closing' => (draining ? 'closing' : used || running.size > 0 || stats.eventsBuffered > 0 ? 'in-use' : 'idle');
  return { messaging, runtime, usage };
}
