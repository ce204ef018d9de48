import type { Message, Producer } from 'kafkajs';
import type { OutgoingMessage } from '../../lib/broker.js';
import { coalesce } from '../../lib/publishing/coalesce.js';
import type { ClientSpans } from '../client-spans.js';
import { toRecord } from './codec.js';
import { replicaFailure } from './replica-failure.js';

/** Bytes counted per record beside its value when bounding a coalesced request (key, headers, framing). */
const RECORD_OVERHEAD = 100;

/** Publishes through one producer; see {@link createPublishLane}. */
export interface PublishLane {
  /**
   * Resolves once Kafka acknowledged the messages (`acks: all`); rejects with the request's
   * error, or a `NotEnoughReplicasError` when too few replicas were in sync.
   */
  push(topic: string, messages: readonly OutgoingMessage[], signal: AbortSignal | undefined): Promise<void>;
}

/**
 * Publishes wait for the producer's one request in flight and then go together: a hundred
 * concurrent sends become one or two Produce requests instead of a hundred queued ones, and a
 * lone send goes out at once. Bounded below Kafka's default `message.max.bytes` (1 MiB per
 * partition batch), so that a coalesced request never fails where its parts alone would pass.
 * When a request fails, every send in it rejects with that error. With `clientSpans`, kafkajs's
 * OpenTelemetry instrumentation traces none of these requests once eventwire traces them.
 *
 * @example
 * const lane = createPublishLane(() => connection.producer(), connection.clientSpans); await lane.push('orders', messages, signal);
 */
export function createPublishLane(producer: () => Promise<Producer>, clientSpans?: ClientSpans): PublishLane {
  const lane = coalesce<{ readonly topic: string; readonly messages: readonly OutgoingMessage[] }>(async (items) => {
    const byTopic = new Map<string, Message[]>();
    for (const { topic, messages } of items) {
      let records = byTopic.get(topic);
      if (records === undefined) byTopic.set(topic, (records = []));
      for (const message of messages) records.push(toRecord(message));
    }
    const client = await producer();
    const batch = { acks: -1, topicMessages: [...byTopic].map(([topic, records]) => ({ topic, messages: records })) };
    const sent = clientSpans === undefined ? client.sendBatch(batch) : clientSpans.publish(client.sendBatch, () => client.sendBatch(batch));
    await sent.catch((error: unknown) => {
      throw replicaFailure([...byTopic.keys()], error);
    });
  }, { maxItems: 1000, maxBytes: 512 * 1024 });
  return {
    push(topic, messages, signal) {
      let bytes = 0;
      for (const message of messages) bytes += message.value.length + RECORD_OVERHEAD;
      return lane.push({ topic, messages }, bytes, signal);
    },
  };
}
