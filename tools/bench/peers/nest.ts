import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { ClientKafka, ClientRMQ, ClientRedis, type RmqContext, ServerKafka, ServerRMQ, ServerRedis } from '@nestjs/microservices';
import { lastValueFrom, type Observable } from 'rxjs';
import { addresses, kafkaBrokers, payload } from '../config.js';
import { namesOf, type Drainable, type Sender } from '../drivers.js';
import { prefill } from '../prefill.js';
import { kafkaCreateTopic } from '../raw/kafka.js';
import { connectRedis } from '../raw/redis.js';
import type { CaseParams } from '../types.js';

/**
 * NestJS microservices transports, used through their client and server classes (what
 * `ClientsModule` and `createMicroservice` build), configured for eventwire's guarantees where
 * the transport allows it. Nest's Redis transport is pub/sub, not streams: nothing is stored,
 * nothing is acknowledged, and a message published while no subscriber listens is lost.
 */

Logger.overrideLogger(['error', 'warn']);

const redisAddress = (): { host: string; port: number } => {
  const url = new URL(addresses.redis);
  return { host: url.hostname, port: Number(url.port || 6379) };
};

export const nestRedisNote = 'Nest Redis transport = pub/sub (PUBLISH/SUBSCRIBE): no persistence, no acknowledgement, at-most-once; not the same guarantee';

/** The part of Nest's `ClientProxy` the bench uses. */
interface Emitter {
  connect(): Promise<unknown>;
  emit(pattern: string, data: unknown): Observable<unknown>;
  close(): Promise<unknown>;
}

export async function nestSender(params: CaseParams): Promise<Sender> {
  const { topic } = namesOf(params);
  let client: Emitter;
  let note: string | undefined;
  switch (params.spec.broker) {
    case 'kafka':
      await kafkaCreateTopic(topic);
      client = new ClientKafka({
        client: { clientId: 'nest-bench', brokers: kafkaBrokers() },
        producer: { idempotent: false, maxInFlightRequests: 1, allowAutoTopicCreation: false },
        producerOnlyMode: true,
        send: { acks: -1 },
      });
      break;
    case 'rabbitmq':
      // The queue named after the topic is declared durable by the client; persistent + confirms.
      client = new ClientRMQ({ urls: [addresses.rabbitmq], queue: topic, queueOptions: { durable: true }, persistent: true });
      break;
    case 'redis':
      client = new ClientRedis(redisAddress());
      note = nestRedisNote;
      break;
    case 'memory':
      throw new Error('Nest has no transport for the in-process broker');
  }
  await client.connect();
  return {
    send: async () => void (await lastValueFrom(client.emit(topic, payload), { defaultValue: undefined })),
    close: async () => void (await client.close()),
    ...(note === undefined ? {} : { note }),
  };
}

interface Listening {
  addHandler(pattern: string, callback: (data: unknown, ctx?: unknown) => Promise<unknown>, isEventHandler?: boolean): void;
  listen(callback: (error?: unknown) => void): Promise<void>;
  close(): Promise<void>;
}

const listen = (server: Listening): Promise<void> =>
  new Promise((resolve, reject) => void server.listen((error) => (error === undefined ? resolve() : reject(error instanceof Error ? error : new Error(String(error))))));

export function nestDrainable(params: CaseParams): Drainable {
  const { topic, group } = namesOf(params);
  const broker = params.spec.broker;
  let server: Listening | undefined;
  const live = broker === 'redis';
  return {
    live,
    ...(live ? { note: nestRedisNote } : broker === 'kafka' ? { note: 'kafkajs autoCommit (offsets committed per batch after handling)' } : {}),
    async start(concurrency, handle) {
      if (broker === 'kafka') {
        await kafkaCreateTopic(topic);
        server = new ServerKafka({
          client: { clientId: 'nest-bench', brokers: kafkaBrokers() },
          consumer: { groupId: group },
          subscribe: { fromBeginning: true },
          run: { partitionsConsumedConcurrently: concurrency },
        });
        server.addHandler(topic, () => handle(), true);
      } else if (broker === 'rabbitmq') {
        // noAck: false and an explicit ack after the handler: Nest's documented at-least-once setup.
        server = new ServerRMQ({ urls: [addresses.rabbitmq], queue: topic, queueOptions: { durable: true }, noAck: false, prefetchCount: concurrency });
        server.addHandler(
          topic,
          async (_data, ctx) => {
            await handle();
            const context = ctx as RmqContext;
            (context.getChannelRef() as { ack(message: unknown): void }).ack(context.getMessage());
          },
          true,
        );
      } else if (broker === 'redis') {
        server = new ServerRedis(redisAddress());
        server.addHandler(topic, () => handle(), true);
      } else {
        throw new Error('Nest has no transport for the in-process broker');
      }
      await listen(server);
      // SUBSCRIBE is sent after the listen callback: give it time to reach Redis.
      if (broker === 'redis') await sleep(300);
    },
    async prefill(count) {
      if (broker !== 'redis') return prefill(broker, { kind: 'nest', topic }, count);
      // Pub/sub cannot be pre-filled: this publish is the measured one (pipelined PUBLISH).
      const redis = connectRedis();
      const message = JSON.stringify({ pattern: topic, data: payload });
      for (let done = 0; done < count; done += 500) {
        const pipeline = redis.pipeline();
        for (let index = done; index < Math.min(count, done + 500); index += 1) pipeline.publish(topic, message);
        await pipeline.exec();
      }
      redis.disconnect();
    },
    stop: async () => server?.close(),
  };
}
