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
export type { Consumer } from './consumer.js';
export type { ConsumerOptions, HandlingOptions, MessageHandlerOptions } from './consumer-options.js';
export { withSchema } from './event-dispatch.js';
export type { EventHandler, EventHandlerEntry, SchemaEventHandler } from './event-dispatch.js';
export type { MessageFunction } from './message-handler.js';
export type { ContextFactory, DeliveryContext, Handler, HandlerMiddleware, MessageContext, MessageInfo } from './handler.js';
export type { Backoff, Jitter } from './backoff.js';
export type { ShouldRetry } from './with-retry.js';
export type { CloudEventAttributes, Event } from './envelope.js';
export type { Producer, SendOptions } from './producer.js';
export type { RunConsumersOptions, RunningConsumers } from './run-consumers.js';
export { brokerNames } from './options.js';
export type { BrokerName, MessagingOptions } from './options.js';
export type { MessagingStats } from './stats.js';
export type { StandardSchema, SchemaOutput } from './schema.js';
export { consoleLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { deadLetterHeaders } from './with-dead-letter.js';
export { RetriesExhaustedError, RetryDeclinedError, DeliveryAbandonedError } from './with-retry.js';
export { keepsTopics } from './broker.js';
export type {
  Broker,
  BrokerCapabilities,
  BrokerConfig,
  BrokerFactory,
  DeliveryCallback,
  Headers,
  IncomingMessage,
  OutgoingMessage,
  SubscribeRequest,
  Subscription,
  TopicKeeper,
} from './broker.js';
export {
  BrokerConnectionError,
  BrokerLoginRefusedError,
  BrokerUnreachableError,
  EventwireError,
  InvalidArgumentError,
  MalformedMessageError,
  MessageTooLargeError,
  MessagingClosedError,
  MessagingNotConfiguredError,
  MissingDependencyError,
  PublishError,
  PublishTimeoutError,
  SerializationError,
  UnrecoverableError,
  ValidationError,
} from './errors.js';
