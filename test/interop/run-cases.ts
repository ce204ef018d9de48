import type { Broker } from '../../lib/broker.js';
import { assertOutcomes, NAMES, type ConsumeCase } from './consume-cases.js';
import { Scene } from './scene.js';
import { producePython } from './third-party.js';

/**
 * Runs consume cases on a fresh topic: eventwire subscribes, the broker's Python script writes
 * the cases without `send` (in order; not run when there are none), each other case sends itself; then every message must be
 * handled or dead-lettered once, as its case says, and an event eventwire publishes afterwards
 * must still be handled (the bad input did not stop the consumer).
 *
 * @example
 * await runCases({ connect, topic, script: 'produce_redis.py', url, cases, timeoutMs: 15_000 });
 */
export async function runCases(options: {
  readonly connect: () => Broker;
  readonly topic: string;
  readonly script: string;
  readonly url: string;
  readonly scriptOptions?: object;
  readonly cases: readonly ConsumeCase[];
  readonly timeoutMs: number;
}): Promise<void> {
  const { topic, cases } = options;
  const scene = await Scene.open(options.connect, topic, NAMES);
  try {
    const viaScript = cases.filter((entry) => entry.send === undefined);
    const reported = viaScript.length === 0 ? [] : await producePython<unknown>(options.script, { url: options.url, topic, options: options.scriptOptions ?? {}, messages: viaScript.map((entry) => entry.message) });
    const produced = new Map<ConsumeCase, unknown>(viaScript.map((entry, index) => [entry, reported[index]]));
    for (const entry of cases) if (entry.send !== undefined) produced.set(entry, await entry.send(topic));
    const outcomes = await scene.settled(cases.length, options.timeoutMs);
    assertOutcomes(cases, outcomes.slice(0, cases.length), cases.map((entry) => produced.get(entry)), topic);
    await scene.publish('interop.python', { case: 'after' });
    const after = await scene.settled(cases.length + 1, options.timeoutMs);
    const last = after[cases.length];
    if (last?.kind !== 'handled' || (last.event.data as { case?: string }).case !== 'after') {
      throw new Error(`the consumer did not handle eventwire's own event after the third-party input: ${JSON.stringify(last)}`);
    }
  } finally {
    await scene.close();
  }
}
