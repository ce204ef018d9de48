import { quote, type TableNames } from './table-name.js';

/**
 * The SQL that creates an outbox, idempotent: safe to run at every start-up, from several
 * instances at once (an advisory lock serialises them). Run as one implicit transaction.
 *
 * The table keeps the columns Debezium's outbox event router reads (`id`, `aggregatetype`,
 * `aggregateid`, `type`, `payload`), so that Debezium can replace the relay on the same rows;
 * the rest is the relay's: `seq` orders the rows (per key), `topic`, `key` and `headers` are
 * what it publishes with, `attempts` and `last_error` record failed publishes. `<table>_inbox`
 * holds the ids each consumer group handled (the inbox), indexed by time for pruning. A statement-level
 * trigger notifies the table's channel on insert, delivered at commit (never on rollback).
 *
 * @example
 * await client.query(migrationSql(tableNames('eventwire_outbox')));
 */
export function migrationSql(names: TableNames): string {
  const channel = names.channel.replaceAll("'", "''");
  return `
SELECT pg_advisory_xact_lock(hashtext('eventwire.outbox.migrate'));
${names.schema === undefined ? '' : `CREATE SCHEMA IF NOT EXISTS ${quote(names.schema)};`}
CREATE TABLE IF NOT EXISTS ${names.table} (
  id uuid PRIMARY KEY,
  aggregatetype text NOT NULL,
  aggregateid text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  topic text NOT NULL,
  key text,
  headers jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0,
  last_error text
);
CREATE INDEX IF NOT EXISTS ${names.keyIndex} ON ${names.table} (key, seq);
CREATE TABLE IF NOT EXISTS ${names.failed} (
  id uuid PRIMARY KEY,
  aggregatetype text NOT NULL,
  aggregateid text NOT NULL,
  type text NOT NULL,
  payload jsonb NOT NULL,
  seq bigint NOT NULL,
  topic text NOT NULL,
  key text,
  headers jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  attempts integer NOT NULL,
  last_error text,
  failed_at timestamptz NOT NULL DEFAULT now(),
  reason text NOT NULL,
  error_code text
);
CREATE TABLE IF NOT EXISTS ${names.inbox} (
  group_id text NOT NULL,
  event_id text NOT NULL,
  handled_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (group_id, event_id)
);
CREATE INDEX IF NOT EXISTS ${names.inboxIndex} ON ${names.inbox} (handled_at);
CREATE OR REPLACE FUNCTION ${names.notifyFunction}() RETURNS trigger LANGUAGE plpgsql AS $eventwire$
BEGIN
  PERFORM pg_notify('${channel}', '');
  RETURN NULL;
END
$eventwire$;
DROP TRIGGER IF EXISTS ${names.trigger} ON ${names.table};
CREATE TRIGGER ${names.trigger} AFTER INSERT ON ${names.table} FOR EACH STATEMENT EXECUTE FUNCTION ${names.notifyFunction}();
`;
}
