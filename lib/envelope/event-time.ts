/**
 * Timestamps of consumed events. Every envelope's time reaches the handler in one form,
 * `YYYY-MM-DDTHH:mm:ss.sssZ` (what `Date#toISOString` writes), whatever the producer wrote.
 */

/**
 * The form eventwire writes, on days 1–28 (which every month has): kept as it is, so that
 * eventwire's own events pay one regular-expression test. Other days take the full check.
 */
const CANONICAL = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1\d|2[0-8])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d\.\d{3}Z$/;

/**
 * The last timestamp accepted in canonical form: events of one burst share their millisecond
 * (eventwire's publisher stamps them once per millisecond), and comparing two strings is cheaper
 * than the test.
 */
let lastCanonical = '';

/**
 * ISO-8601 / RFC 3339 date-time: `T` or a space between date and time, seconds and fraction
 * optional, zone `Z`, `±HH:MM`, `±HHMM` or `±HH`, or none (read as UTC, as Python's
 * `datetime.utcnow().isoformat()` means it).
 */
const ISO_DATE_TIME = /^(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d)(?::(\d\d)(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d\d)(?::?(\d\d))?)?$/;

/**
 * The canonical UTC form of an ISO-8601 date-time, or `undefined` when `text` is not one (or
 * names a date that does not exist, such as February 30). A fraction finer than milliseconds is
 * truncated; without a zone the time is UTC.
 *
 * @example
 * normaliseTimestamp('2026-02-01T12:00:00.123456'); // '2026-02-01T12:00:00.123Z'
 * normaliseTimestamp('2026-02-01T13:00:00+01:00'); // '2026-02-01T12:00:00.000Z'
 */
export function normaliseTimestamp(text: string): string | undefined {
  if (text === lastCanonical) return text;
  if (CANONICAL.test(text)) {
    lastCanonical = text;
    return text;
  }
  const match = ISO_DATE_TIME.exec(text);
  if (match === null) return undefined;
  const [, year, month, day, hour, minute, second = '0', fraction = '0', , sign, zoneHours = '0', zoneMinutes = '0'] = match;
  const fields = [year, month, day, hour, minute].map(Number) as [number, number, number, number, number];
  const [y, mo, d, h, mi] = fields;
  const s = Number(second);
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59 || Number(zoneHours) > 23 || Number(zoneMinutes) > 59) return undefined;
  const ms = Number(fraction.slice(0, 3).padEnd(3, '0'));
  const local = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  if (new Date(local).getUTCDate() !== d) return undefined; // Date.UTC rolls 30 February over into March
  const offsetMinutes = sign === undefined ? 0 : (sign === '-' ? -1 : 1) * (Number(zoneHours) * 60 + Number(zoneMinutes));
  const utc = local - offsetMinutes * 60_000;
  return Number.isFinite(utc) ? new Date(utc).toISOString() : undefined;
}
