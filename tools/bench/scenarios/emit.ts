import { setImmediate as yieldToLoop, setTimeout as sleep } from 'node:timers/promises';
import { createMemoryServer } from 'eventwire/memory';
import { payload } from '../config.js';
import { namesOf } from '../drivers.js';
import { eventwireMessaging } from '../eventwire.js';
import { within } from '../measure.js';
import { bindForSend } from '../raw/index.js';
import type { CaseParams, CaseResult } from '../types.js';

/**
 * Fire-and-forget, the middleware's path: `emitEvent()` as fast as the default buffer
 * (`maxBufferedEvents`: 10000) accepts, timed until the broker acknowledged every event
 * (counted with `onPublished`). An event refused by a full buffer fails the case.
 */
export async function runEmit(params: CaseParams): Promise<CaseResult> {
  const { topic, sendQueue } = namesOf(params);
  const total = params.sizes.emitEvents[params.spec.broker];
  await bindForSend(params.spec.broker, topic, sendQueue);
  const messaging = eventwireMessaging(params.spec, createMemoryServer());
  // Connects and creates the topic, as a running service would have done long before.
  await messaging.publishEvent('bench.warmup', payload, { topic });
  let acknowledged = 0;
  let finish = (): void => {};
  const done = new Promise<void>((resolve) => (finish = resolve));
  messaging.onPublished((_topic, messages) => {
    acknowledged += messages.length;
    if (acknowledged >= total) finish();
  });
  const started = performance.now();
  const headroom = 1_000;
  for (let emitted = 0; emitted < total; ) {
    if (messaging.stats().eventsBuffered > 10_000 - headroom) {
      await sleep(1);
      continue;
    }
    const burst = Math.min(headroom, total - emitted);
    for (let index = 0; index < burst; index += 1) messaging.emitEvent('user.created', payload, { topic });
    emitted += burst;
    await yieldToLoop();
  }
  await within(done, params.sizes.caseTimeoutSeconds / 2, () => `acknowledging ${total} events (${acknowledged} so far)`);
  const rate = total / ((performance.now() - started) / 1000);
  const { eventsDropped } = messaging.stats();
  await messaging.close();
  if (eventsDropped > 0) throw new Error(`${eventsDropped} events were dropped`);
  return { metrics: { rate } };
}
