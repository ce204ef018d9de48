import type { Consumer, Event, Messaging } from '../../entry/index.js';
import { collector, withTimeout } from './wait.js';

/**
 * The metrics tests' workload: a consumer of `topic` in `groupId` whose `job.run` handler fails
 * for `{ fail: true }` (one retry, then a dead letter), started; `run()` publishes two good jobs
 * and one failing one and waits until both were handled and the third dead-lettered.
 *
 * @example
 * const jobs = await startJobRun(messaging, 'g', 'jobs'); await jobs.run(5_000); await jobs.consumer.stop();
 */
export async function startJobRun(messaging: Messaging, groupId: string, topic: string): Promise<{ consumer: Consumer; run(timeoutMs: number): Promise<void> }> {
  const done = collector<string>(3);
  const consumer = messaging.createConsumer({
    groupId,
    topics: [topic],
    maxRetries: 1,
    retryDelayMs: 1,
    handlers: {
      'job.run': async (event: Event<{ fail: boolean }>) => {
        if (event.data.fail) throw new Error('job failed');
        done.push('ok');
      },
    },
  });
  await consumer.start();
  messaging.onPublished((to) => {
    if (to === `${topic}.dlq`) done.push('dead');
  });
  return {
    consumer,
    async run(timeoutMs) {
      for (const fail of [false, false, true]) await messaging.publishEvent('job.run', { fail }, { topic });
      await withTimeout(done.done, timeoutMs, 'two handled events and one dead letter');
    },
  };
}
