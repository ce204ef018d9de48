import { createMessaging, type Messaging, type MessagingOptions } from 'eventwire';
import { createMemoryBroker, type MemoryServer } from 'eventwire/memory';
import { addresses, payload } from './config.js';
import { namesOf, type Drainable, type Sender } from './drivers.js';
import { prefill, type Layout } from './prefill.js';
import { bindForSend } from './raw/index.js';
import type { BrokerId, CaseParams } from './types.js';

/** eventwire as a user configures it: defaults everywhere but the address and the source. */
export function eventwireMessaging(broker: BrokerId, server?: MemoryServer): Messaging {
  const base = { source: 'eventwire-bench' };
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
  const messaging = eventwireMessaging(params.spec.broker, server);
  const producer = messaging.getProducer();
  return {
    send: () => producer.send(topic, payload),
    close: () => messaging.close(),
  };
}

/** A `messageHandler` with the handler under test; everything else at its defaults. */
export function eventwireDrainable(params: CaseParams, server: MemoryServer): Drainable {
  const { topic, group } = namesOf(params);
  const messaging = eventwireMessaging(params.spec.broker, server);
  const layout: Layout = { kind: 'standard', topic };
  return {
    async start(concurrency, handle) {
      const consumer = messaging.messageHandler({ topic, groupId: group, concurrency }, async function benchHandler() {
        await handle();
      });
      await consumer.start();
    },
    prefill: (count) => prefill(params.spec.broker, layout, count, server),
    stop: () => messaging.close(),
  };
}
