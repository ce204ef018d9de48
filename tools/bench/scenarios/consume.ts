import { drainableFor } from '../factory.js';
import { drainGate, within, type Timed } from '../measure.js';
import type { CaseParams, CaseResult } from '../types.js';

/**
 * Draining a pre-filled topic: the consumer starts with its handlers held at a gate, the topic
 * is filled (untimed), and the clock runs from the gate's opening until every message was
 * handled. Acknowledgements follow each handler as the implementation does them. The figures:
 * messages handled per second, and the process's CPU µs per message over the same window (a live
 * consumer's includes its own pre-fill, which runs in that window).
 */
export async function runConsume(params: CaseParams): Promise<CaseResult> {
  const { spec, sizes } = params;
  const total = sizes.consumeMessages[spec.broker];
  const concurrency = spec.concurrency ?? 1;
  const gate = drainGate(total, sizes.consumeSeconds);
  const consumer = await drainableFor(params);
  const limit = sizes.caseTimeoutSeconds / 2;
  try {
    await within(consumer.start(concurrency, gate.handle), limit, 'subscribing');
    let figures: Timed;
    if (consumer.live === true) {
      const done = gate.open(0);
      await consumer.prefill(total);
      figures = await within(done, limit, () => `handling ${total} messages (${gate.handled()} so far)`);
    } else {
      await within(consumer.prefill(total), limit, 'pre-filling');
      await within(gate.arrived, limit, 'the first delivery');
      figures = await within(gate.open(), limit, () => `draining ${total} messages (${gate.handled()} so far)`);
    }
    const { rate, cpuPerCall } = figures;
    return { metrics: { rate, ...(cpuPerCall === undefined ? {} : { cpu: cpuPerCall }) }, ...(consumer.note === undefined ? {} : { note: consumer.note }) };
  } finally {
    await within(consumer.stop(), 30, 'stopping the consumer').catch((error: unknown) => console.error(error));
  }
}
