import type { Messaging } from 'eventwire';
import type { MemoryServer } from 'eventwire/memory';
import type { PgInboxContext } from 'eventwire/outbox';
import { payload } from '../config.js';
import { eventwireMessaging } from '../eventwire.js';
import { sendMany } from '../measure.js';
import type { BrokerId } from '../types.js';
import type { BenchDb } from './db.js';
import type { InboxResult } from './types.js';
import { reason, until } from './waits.js';

/**
 * Inbox cost: a `messageHandler` whose handler writes one row, once through the PostgreSQL inbox
 * (mark and row in one transaction, the row written through `ctx.db`) and once without it (the
 * row inserted on its own, its own transaction). Each side starts its consumer with the handlers
 * held at a gate, publishes `messages` events (untimed), and once a handler waits at the gate,
 * opens it and times until every message was handled: µs of wall time per message.
 */

interface Gate {
  /** Waits until the gate opens (the first caller tells `arrived`). */
  pass(): Promise<void>;
  readonly arrived: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open = (): void => {};
  let arrive = (): void => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  return {
    pass: () => {
      arrive();
      return opened;
    },
    arrived,
    open: () => open(),
  };
}

type Side = 'with' | 'without';

function subscribe(db: BenchDb, messaging: Messaging, side: Side, topic: string, concurrency: number, handle: (id: string, write: (sql: string, values: unknown[]) => Promise<unknown>) => Promise<void>): Promise<void> {
  const groupId = `${topic}-g`;
  const idOf = (message: unknown): string => (message as { id: string }).id;
  if (side === 'without') {
    return messaging.messageHandler({ topic, groupId, concurrency }, (message) => handle(idOf(message), (sql, values) => db.pool.query(sql, values))).start();
  }
  const inbox = db.outbox.inbox();
  return messaging
    .messageHandler<undefined, PgInboxContext>({ topic, groupId, concurrency, middleware: [inbox.middleware], context: inbox.context }, (message, ctx) =>
      handle(idOf(message), (sql, values) => ctx.db.query(sql, values)),
    )
    .start();
}

/** One side: µs of wall time per handled message. */
async function perMessageUs(db: BenchDb, broker: BrokerId, side: Side, topic: string, messages: number, concurrency: number, server: MemoryServer): Promise<number> {
  const messaging = eventwireMessaging({ broker }, server);
  const held = gate();
  let handled = 0;
  try {
    await subscribe(db, messaging, side, topic, concurrency, async (id, write) => {
      await held.pass();
      await write(`INSERT INTO ${db.effects} (event_id) VALUES ($1)`, [id]);
      handled += 1;
    });
    await sendMany(messages, 100, () => messaging.publishEvent('user.created', payload, { topic }).then(() => {}));
    await held.arrived;
    const started = performance.now();
    held.open();
    await until(() => handled >= messages, 60 + messages / 50, () => `handling ${messages} messages (handled ${handled})`);
    return ((performance.now() - started) * 1000) / messages;
  } finally {
    await messaging.close();
  }
}

/** Both sides on one broker, without the inbox first; a failure is recorded, never thrown. */
export async function measureInbox(db: BenchDb, broker: BrokerId, name: string, messages: number, concurrency: number, server: MemoryServer): Promise<InboxResult> {
  try {
    const withoutInboxUs = await perMessageUs(db, broker, 'without', `${name}-without`, messages, concurrency, server);
    const withInboxUs = await perMessageUs(db, broker, 'with', `${name}-with`, messages, concurrency, server);
    const { rows } = await db.pool.query<{ count: string }>(`SELECT count(*) AS count FROM ${db.effects}`);
    if (Number(rows[0]?.count) !== 2 * messages) throw new Error(`the handlers wrote ${rows[0]?.count} rows for ${2 * messages} messages`);
    return { broker, messages, withInboxUs, withoutInboxUs };
  } catch (error) {
    return { broker, messages, error: reason(error) };
  } finally {
    await db.pool.query(`TRUNCATE ${db.effects}`).catch(() => {});
  }
}
