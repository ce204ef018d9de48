import { BrokerConnectionError, BrokerLoginRefusedError, BrokerRefusedError, EventwireError, NotEnoughReplicasError, PublishError } from '../errors/index.js';
import { redactSecrets } from '../config/redact.js';

/**
 * What failed: the broker's short name (`Broker.name`), the topic and how many messages the
 * publish carried.
 */
export interface FailedPublish {
  readonly broker: string;
  readonly topic: string;
  readonly count: number;
}

/** How messages name the brokers eventwire ships; another broker is named by its `name`. */
const brokerLabels: Readonly<Record<string, string>> = { kafka: 'Kafka', rabbitmq: 'RabbitMQ', redis: 'Redis', memory: 'The memory broker' };

/**
 * The one place where a broker's failure to publish becomes the error the caller sees. Adapters
 * reject with their client's own error, a {@link BrokerConnectionError} (unreachable, login
 * refused), a {@link NotEnoughReplicasError} or a {@link BrokerRefusedError}; each becomes a {@link PublishError} whose `cause` is
 * that error and whose message names the broker, the topic, the count and what to do. Errors
 * that are typed already and say what to do pass unchanged: a `PublishError` (a broker of the
 * user's own may throw one), `MessagingClosedError`, `MissingDependencyError`. Timeouts are the
 * caller's to map (`PublishTimeoutError`): only it knows that its deadline fired.
 *
 * @example
 * broker.publish(topic, messages, signal).catch((error) => { throw publishFailure({ broker: broker.name, topic, count: 1 }, error); });
 */
export function publishFailure(failed: FailedPublish, error: unknown): EventwireError {
  const { topic, count } = failed;
  if (error instanceof PublishError) return error;
  const what = count === 1 ? `the message to "${topic}"` : `the ${count} messages to "${topic}"`;
  if (error instanceof BrokerConnectionError || error instanceof NotEnoughReplicasError) {
    const advice =
      error instanceof BrokerLoginRefusedError ? 'Fix the credentials, then send again.' : error instanceof NotEnoughReplicasError ? 'Send again once the brokers are back.' : 'Send again once the broker is reachable.';
    const outcome = `${count === 1 ? 'The message' : `The ${count} messages`} to "${topic}" ${count === 1 ? 'was' : 'were'} not acknowledged.`;
    return new PublishError(topic, `${sentence(error.message)} ${outcome} ${advice}`, { cause: error });
  }
  if (error instanceof EventwireError && !(error instanceof BrokerRefusedError)) return error;
  const detail = error instanceof Error ? redactSecrets(error.message) : 'no reason given';
  const label = brokerLabels[failed.broker] ?? `The broker "${failed.broker}"`;
  return new PublishError(
    topic,
    `${label} did not acknowledge ${what}: ${sentence(detail)} Fix what the broker reports (a size limit, a permission, a missing topic or exchange), or send again if the failure was passing.`,
    { cause: error },
  );
}

/** `text` ending with a full stop, so that advice can follow it. */
function sentence(text: string): string {
  return /[.!?]$/.test(text.trimEnd()) ? text.trimEnd() : `${text.trimEnd()}.`;
}
