import type { OutgoingMessage } from '../broker.js';
import type { ResolvedOptions } from '../config/options.js';
import { expectKnownKeys, expectObject, expectString } from '../config/validate.js';
import { cloudEventsPrefix, writeCloudEvent } from '../envelope/cloudevent-write.js';
import { createEvent, eventIdHeader, eventNameHeader, type Event } from '../envelope/event.js';
import { InvalidArgumentError } from '../errors/index.js';
import { expectEventData } from '../envelope/json-codec.js';
import { checkHeaders, checkKey, type Publisher } from './producer.js';

/**
 * Options of `publishEvent` and `emitEvent`.
 *
 * @example
 * await publishEvent('user.updated', { id: 1 }, { topic: 'user-events', key: 1 });
 */
export interface PublishEventOptions {
  /** Default: the configured `defaultTopic`. */
  readonly topic?: string | undefined;
  readonly key?: string | number | undefined;
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** The names {@link PublishEventOptions} has: any other is a typo, refused rather than ignored. */
const eventOptionNames = ['topic', 'key', 'headers'] as const;

/** What an instance lends {@link prepareEventMessage}: its options, its publisher, its broker's name. */
export interface EventPreparation {
  readonly options: ResolvedOptions;
  readonly publisher: Publisher;
  readonly brokerName: string;
}

/** An event ready to go: its topic, the event as the caller gets it back, the encoded message. */
export interface PreparedEvent<T> {
  readonly topic: string;
  readonly event: Event<T>;
  readonly message: OutgoingMessage;
}

/**
 * The one path of `publishEvent` and `emitEvent` from the caller's arguments to a message:
 * checks everything a caller can get wrong (typed errors naming the argument), builds the event
 * in the configured envelope, then encodes once; the event headers are built in the copy that
 * validates the caller's, and the topic check is remembered (see createPublisher).
 *
 * @example
 * const { topic, event, message } = prepareEventMessage(instance, 'user.created', { id: 1 }, { key: 1 });
 */
export function prepareEventMessage<T>(instance: EventPreparation, name: string, data: T, eventOptions: PublishEventOptions = {}): PreparedEvent<T> {
  const { options, publisher } = instance;
  expectString('name', name);
  const given: unknown = eventOptions;
  if (typeof given === 'string') {
    throw new InvalidArgumentError('options', `The third argument of publishEvent/emitEvent is an options object, got the string "${given}": pass { topic: ${JSON.stringify(given)} }.`);
  }
  expectKnownKeys('publishEvent options', expectObject('publishEvent options', eventOptions), eventOptionNames);
  const topic = eventOptions.topic ?? options.defaultTopic;
  if (topic === undefined) {
    throw new InvalidArgumentError('topic', `Event "${name}" has no topic: pass { topic } or configure defaultTopic.`);
  }
  publisher.checkTopic(topic);
  const key = checkKey(eventOptions.key);
  const headers = eventOptions.headers === undefined || eventOptions.headers === null ? {} : checkHeaders(eventOptions.headers);
  expectEventData(topic, name, data);
  const event = createEvent(name, data, options.source);
  if (options.envelope !== 'eventwire') {
    const written = writeCloudEvent(event, key, options.envelope, cloudEventsPrefix(instance.brokerName));
    Object.assign(headers, written.headers);
    return { topic, event, message: publisher.encodeChecked(topic, written.body, key, headers, event) };
  }
  headers[eventNameHeader] = name;
  headers[eventIdHeader] = event.id;
  const message = publisher.encodeChecked(topic, event, key, headers, event);
  options.outbox?.checkMessage(topic, message);
  return { topic, event, message };
}
