import { createMessaging, type Messaging, type MessagingOptions } from 'eventwire';
import { createMemoryBroker, type MemoryServer } from 'eventwire/memory';
import { addresses, payload } from './config.js';
import { namesOf, type Drainable, type Sender } from './drivers.js';
import { prefill, type Layout } from './prefill.js';
import { bindForSend } from './raw/index.js';
import type { CaseParams, CaseSpec } from './types.js';

/** Events pre-filled per round trip: enough to keep the broker busy, few enough to stay under the buffer. */
const prefillChunk = 500;

/**
 * eventwire as a user configures it: defaults everywhere but the address, the source and what
 * the case sets (the envelope of event cases, telemetry turned off).
 */
export function eventwireMessaging(spec: Pick<CaseSpec, 'broker' | 'envelope' | 'telemetry'>, server?: MemoryServer): Messaging {
  const { broker, envelope, telemetry } = spec;
  const base: Omit<MessagingOptions, 'broker'> = {
    source: 'eventwire-bench',
    ...(envelope === undefined ? {} : envelope === 'cloudevents-structured' ? { envelope: 'cloudevents', cloudEventsMode: 'structured' } : { envelope }),
    ...(telemetry === undefined ? {} : { telemetry: telemetry === 'spans' ? { metrics: false } : telemetry }),
  };
  const options: MessagingOptions =
    broker === 'memory'
      ? { ...base, broker: server === undefined ? 'memory' : createMemoryBroker({ server }) }
      : broker === 'kafka'
        ? { ...base, broker, bootstrapServers: addresses.kafka }
        : { ...base, broker, url: addresses[broker] };
  return createMessaging(options);
}

/** `getProducer().send()`, awaited. */
export async function eventwireSender(params: CaseParams, server?: MemoryServer): Promise<Sender> {
  const { topic, sendQueue } = namesOf(params);
  await bindForSend(params.spec.broker, topic, sendQueue, params.spec.route);
  const { envelope } = params.spec;
  const messaging = eventwireMessaging(params.spec, server);
  const producer = messaging.getProducer();
  return {
    send: envelope === undefined ? () => producer.send(topic, payload) : async () => void (await messaging.publishEvent('user.created', payload, { topic })),
    close: () => messaging.close(),
  };
}

/**
 * A `messageHandler` with the handler under test; everything else at its defaults. An event
 * case (`envelope` set) consumes through `createConsumer`'s handler map instead, from a topic
 * eventwire itself filled with `publishEvent` in that envelope.
 */
export function eventwireDrainable(params: CaseParams, server: MemoryServer): Drainable {
  const { topic, group } = namesOf(params);
  const { broker, envelope } = params.spec;
  const messaging = eventwireMessaging(params.spec, server);
  const layout: Layout = { kind: 'standard', topic };
  return {
    async start(concurrency, handle) {
      const consumer =
        envelope === undefined
          ? messaging.messageHandler({ topic, groupId: group, concurrency }, async function benchHandler() {
              await handle();
            })
          : messaging.createConsumer({ groupId: group, topics: [topic], concurrency, handlers: { 'user.created': async () => handle() } });
      await consumer.start();
    },
    prefill: (count) => (envelope === undefined ? prefill(broker, layout, count, server) : prefillEvents(eventwireMessaging(params.spec, server), topic, count)),
    stop: () => messaging.close(),
  };
}

/** Publishes `count` `user.created` events to `topic` in chunks, then closes `messaging`. */
async function prefillEvents(messaging: Messaging, topic: string, count: number): Promise<void> {
  try {
    for (let done = 0; done < count; done += prefillChunk) {
      const chunk = Array.from({ length: Math.min(prefillChunk, count - done) }, () => messaging.publishEvent('user.created', payload, { topic }));
      await Promise.all(chunk);
    }
  } finally {
    await messaging.close();
  }
}
