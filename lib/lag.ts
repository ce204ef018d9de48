import { reportsLag, type Broker, type TopicLag } from './broker.js';
import type { Logger } from './config/logger.js';
import { MessagingClosedError } from './errors/index.js';

/** The groups and topics whose lag an instance reports: its registered consumers'. */
export interface LagSubject {
  readonly groupId: string;
  readonly topics: readonly string[];
}

/** Reads the lag of an instance's consumers now; rejects when the broker cannot be asked. */
export type LagRead = () => Promise<readonly TopicLag[]>;

/**
 * The lag of every group of `subjects` on its topics, one broker call per group (consumers of
 * one group are merged, each topic asked once). Empty for a broker without `LagReporter`.
 *
 * @example
 * const lags = await lagOf(broker, messaging.consumers());
 */
export async function lagOf(broker: Broker, subjects: readonly LagSubject[]): Promise<readonly TopicLag[]> {
  if (!reportsLag(broker)) return [];
  const groups = new Map<string, Set<string>>();
  for (const { groupId, topics } of subjects) {
    const known = groups.get(groupId) ?? new Set<string>();
    for (const topic of topics) known.add(topic);
    groups.set(groupId, known);
  }
  const answers = await Promise.all([...groups].map(([groupId, topics]) => broker.lag(groupId, [...topics])));
  return answers.flat();
}

/**
 * Wraps `read` for the lag gauge of `gauge`, read at collection time: a failure resolves to no lag at all, so that
 * a scrape or an export still answers with every other metric. The first failure is logged as a
 * warning and later ones at debug level, until a read succeeds again, so that a broker outage
 * does not log a line per scrape. A closed instance has no lag to report and logs nothing.
 *
 * @example
 * const gauge = quietLag(() => messaging.lag(), logger, 'Prometheus');
 */
export function quietLag(read: LagRead, logger: Logger, gauge: 'OpenTelemetry' | 'Prometheus'): LagRead {
  let failing = false;
  return async () => {
    try {
      const lags = await read();
      failing = false;
      return lags;
    } catch (error) {
      if (error instanceof MessagingClosedError) return [];
      const fields = { gauge, error };
      if (failing) logger.debug(`Consumer lag still cannot be read; the ${gauge} lag gauge is left out`, fields);
      else logger.warn(`Consumer lag cannot be read; the ${gauge} lag gauge is left out until it can`, fields);
      failing = true;
      return [];
    }
  };
}
