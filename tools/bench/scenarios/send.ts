import { senderFor } from '../factory.js';
import { timedSends } from '../measure.js';
import type { CaseParams, CaseResult } from '../types.js';

/**
 * Publishing, timed: one send at a time (`send-awaited`), `inFlight` sends outstanding
 * (`send-concurrent`), or hand-made batches awaited one after the other (`send-batch`).
 * The figures, over the measured loop after a warm-up: messages acknowledged per second, and the
 * process's CPU µs per message.
 */
export async function runSend(params: CaseParams): Promise<CaseResult> {
  const { sizes, spec } = params;
  const sender = await senderFor(params);
  try {
    let metrics: CaseResult['metrics'];
    if (spec.kind === 'send-batch') {
      const { sendBatch } = sender;
      if (sendBatch === undefined) throw new Error(`${spec.impl} has no batch send`);
      const { rate, cpuPerCall } = await timedSends(() => sendBatch(sizes.batchSize), 1, sizes.sendSeconds, sizes.warmupSeconds);
      metrics = { rate: rate * sizes.batchSize, ...(cpuPerCall === undefined ? {} : { cpu: cpuPerCall / sizes.batchSize }) };
    } else {
      const inFlight = spec.kind === 'send-concurrent' ? sizes.inFlight : 1;
      const { rate, cpuPerCall } = await timedSends(sender.send, inFlight, sizes.sendSeconds, sizes.warmupSeconds);
      metrics = { rate, ...(cpuPerCall === undefined ? {} : { cpu: cpuPerCall }) };
    }
    return { metrics, ...(sender.note === undefined ? {} : { note: sender.note }) };
  } finally {
    await sender.close();
  }
}
