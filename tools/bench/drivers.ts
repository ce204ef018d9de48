import type { CaseParams } from './types.js';

/**
 * What every implementation (eventwire, raw client, peer) offers the scenarios. The scenarios
 * own the timing; a driver only knows how to talk to its broker.
 */

export interface Sender {
  /** Sends the bench payload once; resolves when the broker acknowledged it. */
  send(): Promise<void>;
  /** Sends `count` payloads as one batch (raw clients only). */
  sendBatch?(count: number): Promise<void>;
  close(): Promise<void>;
  /** What differs from eventwire's guarantees, if anything. */
  readonly note?: string;
}

export interface Drainable {
  /** Subscribes with `concurrency` handlers at once; each message calls `handle` once. */
  start(concurrency: number, handle: () => Promise<void>): Promise<void>;
  /** Puts `count` messages on the topic, in this implementation's wire format. */
  prefill(count: number): Promise<void>;
  stop(): Promise<void>;
  /**
   * True when messages cannot wait on the broker (pub/sub): `prefill` is then the measured
   * publish, and the figure is publish-to-handled throughput.
   */
  readonly live?: boolean;
  readonly note?: string;
}

/** Names of one case's resources, all starting with `params.name`, so cleanup finds them. */
export interface Names {
  readonly topic: string;
  readonly group: string;
  /** RabbitMQ: the durable queue that keeps messages of send cases (bound to the topic). */
  readonly sendQueue: string;
}

export const namesOf = (params: CaseParams): Names => ({
  topic: params.name,
  group: `${params.name}-g`,
  sendQueue: `${params.name}.q`,
});

/** Every RabbitMQ queue and exchange a case may have created (RabbitMQ cannot list by prefix). */
export function rabbitResources(name: string): { queues: string[]; exchanges: string[] } {
  const group = `${name}-g`;
  return {
    queues: [name, `${name}.q`, `${name}.dlq`, `${group}.${name}`, `${group}.${name}.dlq`],
    exchanges: [name],
  };
}
