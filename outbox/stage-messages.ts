import type { OutgoingMessage } from '../lib/broker.js';
import { InvalidArgumentError } from '../lib/errors/index.js';
import { eventNameHeader } from '../lib/messaging.js';
import type { OutboxPool } from './pool.js';
import { checkStorable } from './stage.js';
import type { TableNames } from './table-name.js';
import { notMigrated } from './not-migrated.js';

/** Parameters per staged row in the multi-row insert. */
const perRow = 7;

/**
 * Throws when the outbox table cannot hold `message` (a NUL character in its data or headers):
 * called by a messaging instance in outbox-only mode before it queues the event.
 *
 * @example
 * checkStageable(message);
 */
export function checkStageable(message: OutgoingMessage): void {
  checkStorable(message.value.toString('utf8'), JSON.stringify(message.headers));
}

/**
 * Inserts messages the messaging instance encoded (eventwire's envelope) into the outbox in one
 * statement, which is its own transaction: all of them are stored, or none. Outbox-only mode.
 *
 * @example
 * await stageMessages(pool, names, 'orders', [message]);
 */
export async function stageMessages(pool: OutboxPool, names: TableNames, topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const values: unknown[] = [];
  const rows = messages.map((message, index) => {
    const id = message.id;
    if (id === undefined) {
      throw new InvalidArgumentError('messages', 'Expected each of `messages` to carry an event id: stage events with publishEvent() or outbox.stage(), not raw messages.');
    }
    const key = message.key ?? null;
    values.push(id, topic, key ?? id, message.headers[eventNameHeader] ?? '', message.value.toString('utf8'), key, JSON.stringify(message.headers));
    const at = index * perRow;
    return `($${at + 1}, $${at + 2}, $${at + 3}, $${at + 4}, $${at + 5}::jsonb, $${at + 2}, $${at + 6}, $${at + 7}::jsonb)`;
  });
  const client = await pool.connect();
  try {
    await client.query(`INSERT INTO ${names.table} (id, aggregatetype, aggregateid, type, payload, topic, key, headers) VALUES ${rows.join(', ')}`, values);
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw notMigrated(error, names.given);
  }
  client.release();
}
