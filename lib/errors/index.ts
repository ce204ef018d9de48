/**
 * Every error eventwire throws, in one place: import from here. Grouped by where it arises:
 * base.ts (the base class, configuration and instance state), connection.ts (reaching a broker),
 * publishing.ts (a send not acknowledged, a message that cannot be sent), handling.ts (the
 * handling chain), testing.ts (the testing helpers).
 */
export { EventwireError, InvalidArgumentError, MessagingNotConfiguredError, MissingDependencyError, MessagingClosedError, MessagingAlreadyConfiguredError } from './base.js';
export { PublishError, PublishTimeoutError, MessageTooLargeError, SerializationError, BrokerRefusedError, NotEnoughReplicasError } from './publishing.js';
export { BrokerConnectionError, BrokerUnreachableError, BrokerLoginRefusedError, QueueMismatchError, RedisClusterRequiredError, RedisSentinelNameRequiredError } from './connection.js';
export { ValidationError, MalformedMessageError, UnrecoverableError, DeliveryAbandonedError, RetriesExhaustedError, RetryDeclinedError } from './handling.js';
export { WaitTimeoutError } from './testing.js';
export { NoTransactionError, OutboxNotMigratedError } from './outbox.js';
