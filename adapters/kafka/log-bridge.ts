import type { LogEntry } from 'kafkajs';
import type { Logger } from '../../lib/config/logger.js';

/**
 * Forwards kafkajs warnings and errors to the adapter's logger with chosen fields only: entries
 * can hold stacks and payloads.
 *
 * @example
 * new Kafka({ brokers, logCreator: () => (entry) => forwardLog(logger, entry) });
 */
export function forwardLog(logger: Logger, { level, namespace, log }: LogEntry): void {
  // kafkajs logs every CreateTopics answer with an error in it, also "the topic exists" when
  // another process created it between our listing and our request, which its admin treats as
  // success. Any other error rejects createTopics and reaches the caller (publish or subscribe).
  if (log.message.startsWith('Response CreateTopics')) return;
  // A connection reports each failure of its own (refused, timed out, an error answer), and the
  // client that used it reports it again with its retry count: the latter alone is forwarded,
  // so that an unreachable cluster costs one line per attempt, not two.
  if (namespace === 'Connection') return;
  const fields: Record<string, unknown> = { namespace };
  for (const name of ['broker', 'groupId', 'topic', 'retryCount', 'error']) if (log[name] !== undefined) fields[name] = log[name];
  if (Number(level) <= 1) logger.error(`kafkajs: ${log.message}`, fields);
  else logger.warn(`kafkajs: ${log.message}`, fields);
}
