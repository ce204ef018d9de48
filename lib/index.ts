export {
  configureMessaging,
  createConsumer,
  getMessaging,
  getProducer,
  messageHandler,
  publishEvent,
  resetMessaging,
  runConsumers,
} from './default-messaging.js';
export { createMessaging, eventIdHeader, eventNameHeader } from './messaging.js';
export type { Messaging, PublishEventOptions, PublishListener } from './messaging.js';
export type { Consumer } from './consuming/consumer.js';
export type { ConsumerOptions, ContextOption, HandlingOptions, MessageHandlerOptions, MessageHandlerTopics } from './consuming/consumer-options.js';
export { withSchema } from './consuming/event-dispatch.js';
export type { EventHandler, EventHandlerEntry, SchemaEventHandler } from './consuming/event-dispatch.js';
export type { MessageFunction } from './consuming/message-handler.js';
export type { ContextFactory, DeliveryContext, Link, Middleware, MessageContext, MessageInfo } from './handling/chain.js';
export type { Backoff, Jitter } from './handling/backoff.js';
export type { ShouldRetry } from './handling/with-retry.js';
export type { CloudEventAttributes, Event } from './envelope/event.js';
export type { Producer, SendOptions } from './publishing/producer.js';
export type { RunConsumersOptions, RunningConsumers } from './consuming/run-consumers.js';
export { brokerNames } from './config/options.js';
export type { BrokerName, MessagingOptions } from './config/options.js';
export type { TelemetryOptions } from './telemetry/telemetry-options.js';
export type { MessagingStats } from './stats.js';
export type { ConsumerHealth, MessagingHealth } from './health.js';
export type { StandardSchema, SchemaOutput } from './envelope/schema.js';
export { consoleLogger, silentLogger } from './config/logger.js';
export type { Logger } from './config/logger.js';
export { deadLetterHeaders } from './handling/with-dead-letter.js';
export { keepsTopics, ownsClientSpans, reportsHealth, reportsLag, reportsUnroutable, type ClientSpanOwner, type UnroutableReporter } from './broker.js';
export type {
  Broker,
  BrokerCapabilities,
  BrokerConfig,
  BrokerFactory,
  BrokerHealth,
  ConnectionState,
  HealthReporter,
  LagReporter,
  DeliveryCallback,
  Headers,
  HeaderValue,
  IncomingMessage,
  OutgoingMessage,
  SubscribeRequest,
  Subscription,
  TopicKeeper,
  TopicLag,
  TransportFields,
  TransportRecord,
  TypedHeaders,
} from './broker.js';
export {
  BrokerConnectionError,
  BrokerLoginRefusedError,
  BrokerRefusedError,
  BrokerUnreachableError,
  DeliveryAbandonedError,
  EventwireError,
  InvalidArgumentError,
  MalformedMessageError,
  MessageTooLargeError,
  MessagingAlreadyConfiguredError,
  MessagingClosedError,
  MessagingNotConfiguredError,
  MissingDependencyError,
  NoTransactionError,
  OutboxNotMigratedError,
  NotEnoughReplicasError,
  PublishError,
  PublishTimeoutError,
  QueueMismatchError,
  RedisClusterRequiredError,
  RedisSentinelNameRequiredError,
  RetriesExhaustedError,
  RetryDeclinedError,
  SerializationError,
  UnrecoverableError,
  ValidationError,
} from './errors/index.js';
