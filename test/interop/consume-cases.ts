import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { Outcome } from './scene.js';
import type { ThirdPartyMessage } from './third-party.js';

/**
 * How one broker's third-party producer writes what the cases need: CloudEvents binary mode (its
 * binding's attribute headers and content type), a content type, a key.
 */
export interface Binding {
  /** The prefix of binary-mode attributes on this broker (`ce_`, `cloudEvents:`). */
  readonly cePrefix: string;
  binary(attributes: Readonly<Record<string, string>>, contentType: string): Partial<ThirdPartyMessage>;
  contentType(contentType: string): Partial<ThirdPartyMessage>;
  key(key: Buffer): Partial<ThirdPartyMessage>;
  /** The id eventwire gives a Python envelope, from what the producer script reported for it. */
  pythonId(topic: string, produced: unknown): string | RegExp;
}

/** One message a third party writes, and what must become of it. */
export interface ConsumeCase {
  readonly label: string;
  readonly message: ThirdPartyMessage;
  /** Writes the message with a command-line client instead of the broker's Python script; resolves with what it reported. */
  readonly send?: (topic: string) => Promise<unknown>;
  /** Checks the one outcome this message had; `produced` is what the producer reported for it. */
  check(outcome: Outcome, produced: unknown, topic: string): void;
}

/** The event names the handled cases use; the consumer has a handler for each. */
export const NAMES = ['interop.python', 'interop.ce-binary', 'interop.ce-structured'] as const;

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));
const python = (label: string, timestamp = '2026-02-01T12:00:00.123456') => json({ name: 'interop.python', data: { case: label }, timestamp, source: 'legacy-py' });

function handled(outcome: Outcome, label: string): Extract<Outcome, { kind: 'handled' }> {
  assert.equal(outcome.kind, 'handled', `${label}: expected it handled, got a dead letter: ${outcome.kind === 'dead-letter' ? outcome.headers['eventwire-error'] : ''}`);
  return outcome as Extract<Outcome, { kind: 'handled' }>;
}

function deadLettered(outcome: Outcome, label: string, reason: RegExp, topic: string, value: Buffer): void {
  assert.equal(outcome.kind, 'dead-letter', `${label}: expected a dead letter, it was handled`);
  if (outcome.kind !== 'dead-letter') return;
  assert.equal(outcome.headers['eventwire-reason'], 'malformed', label);
  assert.equal(outcome.headers['eventwire-error-code'], 'EVENTWIRE_MALFORMED_MESSAGE', label);
  assert.equal(outcome.headers['eventwire-original-topic'], topic, label);
  assert.match(outcome.headers['eventwire-error'] ?? '', reason, label);
  assert.deepEqual(outcome.value, value, `${label}: the dead letter keeps the body's bytes`);
}

/**
 * The consume-direction cases every broker runs: the Python original's envelope, CloudEvents in
 * binary and structured mode, a binary key, and input that must be dead-lettered with a reason.
 */
export function consumeCases(binding: Binding): ConsumeCase[] {
  const ceId = `ce-${randomUUID()}`;
  return [...handledCases(binding), ...cloudEventCases(binding, ceId), ...deadLetterCases(binding, ceId)];
}

function handledCases(binding: Binding): ConsumeCase[] {
  return [
    {
      label: 'python',
      message: { value: python('python') },
      check(outcome, produced, topic) {
        const { event } = handled(outcome, 'python');
        const id = binding.pythonId(topic, produced);
        if (typeof id === 'string') assert.equal(event.id, id);
        else assert.match(event.id, id);
        assert.deepEqual([event.name, event.source, event.timestamp, event.data], ['interop.python', 'legacy-py', '2026-02-01T12:00:00.123Z', { case: 'python' }]);
      },
    },
    {
      label: 'binary-key',
      message: { value: python('binary-key'), ...binding.key(Buffer.from([0xff, 0x01])) },
      check(outcome) {
        const { event, ctx } = handled(outcome, 'binary-key');
        assert.deepEqual(event.data, { case: 'binary-key' });
        assert.equal(ctx.key, '\ufffd\u0001', 'the key reaches the handler as UTF-8 text (invalid bytes replaced)');
      },
    },
  ];
}

/** Attributes of the binary-mode CloudEvent the cases send (and, without `type`, dead-letter). */
const ceAttributes = (id: string): Record<string, string> => ({
  specversion: '1.0',
  id,
  source: '/interop/python',
  type: 'interop.ce-binary',
  time: '2026-02-01T12:00:00.5+01:00',
  subject: 'order-7',
  dataschema: 'https://example.com/order.json',
  partitionkey: 'order-7',
});

function cloudEventCases(binding: Binding, ceId: string): ConsumeCase[] {
  const structured = { specversion: '1.0', id: `st-${ceId}`, source: 'urn:interop', type: 'interop.ce-structured', time: '2026-02-01T12:00:00Z', subject: 's-1', tenant: 'acme', datacontenttype: 'application/json', data: { case: 'ce-structured' } };
  return [
    {
      label: 'ce-binary',
      message: { value: json({ case: 'ce-binary' }), ...binding.binary(ceAttributes(ceId), 'application/json') },
      check(outcome) {
        const { event } = handled(outcome, 'ce-binary');
        assert.deepEqual([event.id, event.name, event.source, event.timestamp, event.data], [ceId, 'interop.ce-binary', '/interop/python', '2026-02-01T11:00:00.500Z', { case: 'ce-binary' }]);
        assert.deepEqual(event.cloudEvent, {
          specversion: '1.0',
          mode: 'binary',
          time: '2026-02-01T12:00:00.5+01:00',
          subject: 'order-7',
          dataschema: 'https://example.com/order.json',
          datacontenttype: 'application/json',
          extensions: { partitionkey: 'order-7' },
        });
      },
    },
    {
      label: 'ce-structured',
      message: { value: json(structured), ...binding.contentType('application/cloudevents+json; charset=utf-8') },
      check(outcome) {
        const { event } = handled(outcome, 'ce-structured');
        assert.deepEqual([event.id, event.name, event.source, event.timestamp, event.data], [`st-${ceId}`, 'interop.ce-structured', 'urn:interop', '2026-02-01T12:00:00.000Z', { case: 'ce-structured' }]);
        assert.deepEqual(event.cloudEvent, { specversion: '1.0', mode: 'structured', time: '2026-02-01T12:00:00Z', subject: 's-1', datacontenttype: 'application/json', extensions: { tenant: 'acme' } });
      },
    },
  ];
}

function deadLetterCases(binding: Binding, ceId: string): ConsumeCase[] {
  const withoutType = Object.fromEntries(Object.entries(ceAttributes(ceId)).filter(([name]) => name !== 'type'));
  const missingType = json({ case: 'ce-missing-type' });
  const plain = json({ order_id: 1 });
  const notJson = Buffer.from([0xff, 0xfe, 0x6e, 0x6f, 0x74, 0x20, 0x6a, 0x73, 0x6f, 0x6e]);
  const badTime = python('bad-timestamp', 'yesterday');
  const missingTypeReason = new RegExp(`required \`${binding.cePrefix}type\` header is missing`);
  return [
    { label: 'ce-missing-type', message: { value: missingType, ...binding.binary(withoutType, 'application/json') }, check: (outcome, _p, topic) => deadLettered(outcome, 'ce-missing-type', missingTypeReason, topic, missingType) },
    { label: 'plain-json', message: { value: plain }, check: (outcome, _p, topic) => deadLettered(outcome, 'plain-json', /`name` is missing/, topic, plain) },
    { label: 'non-json', message: { value: notJson }, check: (outcome, _p, topic) => deadLettered(outcome, 'non-json', /not valid JSON/, topic, notJson) },
    { label: 'bad-timestamp', message: { value: badTime }, check: (outcome, _p, topic) => deadLettered(outcome, 'bad-timestamp', /`timestamp` "yesterday" is not an ISO-8601 date-time/, topic, badTime) },
  ];
}

/**
 * Which case an outcome belongs to: a handled event's `data.case`, or the dead letter's body.
 *
 * @example
 * const byLabel = new Map(outcomes.map((o) => [labelOf(o, cases), o]));
 */
export function labelOf(outcome: Outcome, cases: readonly ConsumeCase[]): string {
  if (outcome.kind === 'handled') return (outcome.event.data as { case?: string } | undefined)?.case ?? '?';
  return cases.find((entry) => entry.message.value.equals(outcome.value))?.label ?? '?';
}

/**
 * Checks that every case had exactly one outcome, and the right one.
 *
 * @example
 * assertOutcomes(cases, outcomes, produced, topic);
 */
export function assertOutcomes(cases: readonly ConsumeCase[], outcomes: readonly Outcome[], produced: readonly unknown[], topic: string): void {
  const labels = outcomes.map((outcome) => labelOf(outcome, cases));
  assert.deepEqual([...labels].sort(), cases.map((entry) => entry.label).sort(), 'each message was handled or dead-lettered exactly once');
  cases.forEach((entry, index) => entry.check(outcomes[labels.indexOf(entry.label)] as Outcome, produced[index], topic));
}
