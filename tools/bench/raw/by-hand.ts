import { randomUUID } from 'node:crypto';
import type { MemoryServer } from 'eventwire/memory';
import type { BrokerId } from '../types.js';
import { rawClient } from './index.js';

/**
 * What a team without eventwire writes to publish an event after an HTTP response: the raw
 * client's publish (ioredis XADD, amqplib confirm channel, kafkajs with eventwire's producer
 * settings, the memory broker port), called from `res.on('finish')` and not awaited by the
 * request; a failure is logged. The payload is comparable to eventwire's envelope: the route's
 * JSON result as `data`, with a random `id`, the event's `name` and an ISO `timestamp`. On Kafka
 * the result's `id` is the message key, as `keyField: 'id'` makes it for eventwire: it picks the
 * partition. Elsewhere eventwire only stores the key beside the message, which a hand-written
 * publisher would not bother with.
 */

/** A route's JSON result; `id` is the key on Kafka. */
export type RouteBody = { readonly id: number };

/** What the publishes came to when the publisher closed. */
export interface HandTally {
  /** Acknowledged by the broker. */
  readonly acknowledged: number;
  /** Rejected or failed (each was logged). */
  readonly failed: number;
  /** Unanswered when closing began (the backlog the load left behind). */
  readonly backlog: number;
  /** Still unanswered when the wait at close ran out. */
  readonly pending: number;
}

export interface HandPublisher {
  /** Publishes one event for `body`; returns at once and never throws (fire-and-forget). */
  publish(body: RouteBody): void;
  /** Waits up to `timeoutMs` for the publishes still unanswered, then disconnects. */
  close(timeoutMs: number): Promise<HandTally>;
}

/**
 * Connects the broker's raw client to `topic` (which must exist: see `bindForSend`) and publishes
 * one warm-up event, awaited and not counted, before returning, as the eventwire case publishes
 * one before its server listens.
 */
export async function handPublisher(broker: BrokerId, topic: string, name: string, server: MemoryServer): Promise<HandPublisher> {
  const client = await rawClient(broker, topic, server);
  const encode = (body: RouteBody): Buffer => Buffer.from(JSON.stringify({ id: randomUUID(), name, data: body, timestamp: new Date().toISOString() }));
  const warmup: RouteBody = { id: 0 };
  await client.send(encode(warmup), String(warmup.id));
  let acknowledged = 0;
  let failed = 0;
  let pending = 0;
  let idle = (): void => {};
  const settled = (): void => {
    pending -= 1;
    if (pending === 0) idle();
  };
  return {
    publish(body) {
      pending += 1;
      client.send(encode(body), String(body.id)).then(
        () => {
          acknowledged += 1;
          settled();
        },
        (error: unknown) => {
          failed += 1;
          console.error(`publishing ${name} failed`, error);
          settled();
        },
      );
    },
    async close(timeoutMs) {
      const backlog = pending;
      if (pending > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          idle = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      const tally = { acknowledged, failed, backlog, pending };
      await client.close();
      return tally;
    },
  };
}
