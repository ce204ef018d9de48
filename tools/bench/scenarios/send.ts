import { senderFor } from '../factory.js';
import { timedSends } from '../measure.js';
import type { CaseParams, CaseResult } from '../types.js';

/**
 * Publishing, timed: one send at a time (`send-awaited`), `inFlight` sends outstanding
 * (`send-concurrent`), or hand-made batches awaited one after the other (`send-batch`).
 * The figure is messages acknowledged per second, after a warm-up.
 */
export async function runSend(params: CaseParams): Promise<CaseResult> {
  const { sizes, spec } = params;
  const sender = await senderFor(params);
  try {
    let rate: number;
    if (spec.kind === 'send-batch') {
      const { sendBatch } = sender;
      if (sendBatch === undefined) throw new Error(`${spec.impl} has no batch send`);
      rate = (await timedSends(() => sendBatch(sizes.batchSize), 1, sizes.sendSeconds, sizes.warmupSeconds)) * sizes.batchSize;
    } else {
      const inFlight = spec.kind === 'send-concurrent' ? sizes.inFlight : 1;
      rate = await timedSends(sender.send, inFlight, sizes.sendSeconds, sizes.warmupSeconds);
    }
    return { metrics: { rate }, ...(sender.note === undefined ? {} : { note: sender.note }) };
  } finally {
    await sender.close();
  }
}
