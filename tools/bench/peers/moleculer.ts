import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { addresses, kafkaBrokers, payload } from '../config.js';
import { namesOf, type Drainable, type Sender } from '../drivers.js';
import { prefill } from '../prefill.js';
import { kafkaCreateTopic } from '../raw/kafka.js';
import { connectRabbit } from '../raw/rabbitmq.js';
import type { BrokerId, CaseParams } from '../types.js';

/**
 * Moleculer Channels (`@moleculer/channels`) on a Moleculer service broker without transporter.
 * It lives in its own package, tools/bench/peers/moleculer/ (see moleculer-install.ts), because
 * moleculer 0.14 declares peer ranges (amqplib ^0.10, ioredis ^5; its AMQP adapter wants amqplib ^0.8 || ^0.9) that conflict with the
 * project's clients; it runs there with the client versions it supports.
 */

export const moleculerDir = fileURLToPath(new URL('./moleculer/', import.meta.url));

interface ServiceBroker {
  start(): Promise<void>;
  stop(): Promise<void>;
  createService(schema: object): unknown;
  sendToChannel(channel: string, message: unknown, options?: object): Promise<void>;
}

interface Modules {
  readonly ServiceBroker: new (options: object) => ServiceBroker;
  readonly Middleware: (options: object) => object;
}

function load(): Modules {
  if (!existsSync(`${moleculerDir}node_modules/@moleculer/channels`)) {
    throw new Error('@moleculer/channels is not installed (npm ci --prefix tools/bench/peers/moleculer failed or was skipped)');
  }
  const require = createRequire(`${moleculerDir}package.json`);
  const { ServiceBroker } = require('moleculer') as { ServiceBroker: Modules['ServiceBroker'] };
  const { Middleware } = require('@moleculer/channels') as { Middleware: Modules['Middleware'] };
  return { ServiceBroker, Middleware };
}

function adapterFor(broker: BrokerId, maxInFlight: number): object {
  switch (broker) {
    case 'redis':
      return { type: 'Redis', options: { redis: addresses.redis, maxInFlight } };
    case 'rabbitmq':
      return { type: 'AMQP', options: { amqp: { url: addresses.rabbitmq }, maxInFlight } };
    case 'kafka':
      // The same producer settings as eventwire's: acks -1 (kafkajs' default), one request in flight, not idempotent.
      return { type: 'Kafka', options: { kafka: { brokers: kafkaBrokers(), producerOptions: { idempotent: false, maxInFlightRequests: 1 } }, maxInFlight } };
    case 'memory':
      throw new Error('Moleculer Channels has no adapter for the in-process broker');
  }
}

function serviceBroker(broker: BrokerId, maxInFlight: number): ServiceBroker {
  const { ServiceBroker, Middleware } = load();
  return new ServiceBroker({
    nodeID: `bench-${process.pid}`,
    transporter: null,
    logger: { type: 'Console', options: { level: 'warn' } },
    middlewares: [Middleware({ adapter: adapterFor(broker, maxInFlight) })],
  });
}

export const moleculerAmqpNote = 'Moleculer AMQP publishes without publisher confirms: send() resolves once written to the socket';

export async function moleculerSender(params: CaseParams): Promise<Sender> {
  const { topic, sendQueue } = namesOf(params);
  const broker = params.spec.broker;
  if (broker === 'kafka') await kafkaCreateTopic(topic);
  if (broker === 'rabbitmq') {
    // Moleculer publishes to a fanout exchange named after the channel; a bound durable queue stores it.
    const model = await connectRabbit();
    const channel = await model.createChannel();
    await channel.assertExchange(topic, 'fanout', { durable: true });
    await channel.assertQueue(sendQueue, { durable: true });
    await channel.bindQueue(sendQueue, topic, '');
    await model.close();
  }
  const services = serviceBroker(broker, 1);
  await services.start();
  const options = broker === 'rabbitmq' ? { persistent: true } : {};
  return {
    send: () =>
      services.sendToChannel(topic, payload, options).catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (!message.includes('Write buffer is full')) throw error;
        // No publisher confirms: sendToChannel returns before RabbitMQ has the message, so a send loop outruns the socket.
        throw new Error(`Moleculer AMQP threw "${message}": it publishes without confirms, so sendToChannel resolves before RabbitMQ has the message and a send loop fills amqplib's channel buffer`);
      }),
    close: () => services.stop(),
    ...(broker === 'rabbitmq' ? { note: moleculerAmqpNote } : {}),
  };
}

export function moleculerDrainable(params: CaseParams): Drainable {
  const { topic, group } = namesOf(params);
  const broker = params.spec.broker;
  let services: ServiceBroker | undefined;
  return {
    async start(concurrency, handle) {
      if (broker === 'kafka') await kafkaCreateTopic(topic);
      services = serviceBroker(broker, concurrency);
      services.createService({
        name: 'bench',
        channels: {
          [topic]: { group, maxInFlight: concurrency, kafka: { fromBeginning: true }, handler: () => handle() },
        },
      });
      await services.start();
    },
    prefill: (count) => prefill(broker, { kind: 'moleculer', topic }, count),
    stop: async () => services?.stop(),
  };
}
