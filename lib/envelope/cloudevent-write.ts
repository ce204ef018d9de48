import type { Headers } from '../broker.js';
import type { Event } from './event.js';

/**
 * How events are written: eventwire's own envelope (the default), or a CloudEvent 1.0 in binary
 * content mode (attributes in headers, the body is `data`) or structured mode (one JSON object
 * with the attributes and `data`, content type `application/cloudevents+json`).
 */
export type EnvelopeFormat = 'eventwire' | 'cloudevents-binary' | 'cloudevents-structured';

/**
 * The header prefix of the CloudEvents binding per broker: `ce_` for Kafka (the Kafka binding),
 * `cloudEvents:` for RabbitMQ (the AMQP binding's application properties); Redis Streams and the
 * in-process broker have no binding and use Kafka's, which eventwire reads on every broker.
 */
export function cloudEventsPrefix(brokerName: string): string {
  return brokerName === 'rabbitmq' ? 'cloudEvents:' : 'ce_';
}

/** An event written as a CloudEvent: the body to encode and the headers to add. */
export interface WrittenCloudEvent {
  readonly body: unknown;
  readonly headers: Headers;
}

/** The headers binary mode writes under one prefix. */
interface BinaryHeaderNames {
  readonly specversion: string;
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly partitionkey: string;
}

/**
 * Header names by prefix, made once: a name concatenated per message would be a new string for
 * every header of every event, each hashed again when it becomes a property key.
 */
const headerNames = new Map<string, BinaryHeaderNames>();

function headerNamesFor(prefix: string): BinaryHeaderNames {
  let names = headerNames.get(prefix);
  if (names === undefined) {
    names = {
      specversion: `${prefix}specversion`,
      id: `${prefix}id`,
      source: `${prefix}source`,
      type: `${prefix}type`,
      time: `${prefix}time`,
      partitionkey: `${prefix}partitionkey`,
    };
    headerNames.set(prefix, names);
  }
  return names;
}

/**
 * The CloudEvent for `event`: `type` is its name, `time` its timestamp, `datacontenttype`
 * `application/json`, and the message key, when there is one, the `partitionkey` extension.
 * Binary mode puts the attributes in `prefix`ed headers and `data` in the body (with a
 * `content-type` header, which the Kafka binding maps to `datacontenttype`); structured mode puts
 * everything in the body, with `content-type: application/cloudevents+json`.
 *
 * @example
 * writeCloudEvent(event, '42', 'cloudevents-binary', 'ce_'); // { body: event.data, headers: { ce_id: …, … } }
 */
export function writeCloudEvent(event: Event, key: string | undefined, format: Exclude<EnvelopeFormat, 'eventwire'>, prefix: string): WrittenCloudEvent {
  if (format === 'cloudevents-structured') {
    const attributes: Record<string, unknown> = { specversion: '1.0', id: event.id, source: event.source, type: event.name, time: event.timestamp };
    if (key !== undefined) attributes.partitionkey = key;
    attributes.datacontenttype = 'application/json';
    attributes.data = event.data;
    return { body: attributes, headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' } };
  }
  const names = headerNamesFor(prefix);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  headers[names.specversion] = '1.0';
  headers[names.id] = event.id;
  headers[names.source] = event.source;
  headers[names.type] = event.name;
  headers[names.time] = event.timestamp;
  if (key !== undefined) headers[names.partitionkey] = key;
  return { body: event.data === undefined ? null : event.data, headers };
}
