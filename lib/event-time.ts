/**
 * Timestamps of consumed events. Every envelope's time reaches the handler in one form,
 * `YYYY-MM-DDTHH:mm:ss.sssZ` (what `Date#toISOString` writes), whatever the producer wrote.
 */

/** Character codes of the canonical form's separators. */
const DASH = 45;
const COLON = 58;
const DOT = 46;
const UPPER_T = 84;
const UPPER_Z = 90;
/** The positions of the canonical form's digits. */
const DIGITS = [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22];

/**
 * Whether `text` is already in the form eventwire writes, on a day 1–28 (which every month has),
 * checked by character codes: eventwire's own events keep their string at a few nanoseconds'
 * cost (a regular expression cost several times more). Other days take the full check.
 */
function isCanonical(text: string): boolean {
  if (text.length !== 24 || text.charCodeAt(23) !== UPPER_Z || text.charCodeAt(10) !== UPPER_T) return false;
  if (text.charCodeAt(4) !== DASH || text.charCodeAt(7) !== DASH || text.charCodeAt(13) !== COLON || text.charCodeAt(16) !== COLON || text.charCodeAt(19) !== DOT) return false;
  for (let position = 0; position < DIGITS.length; position += 1) {
    const code = text.charCodeAt(DIGITS[position] as number);
    if (code < 48 || code > 57) return false;
  }
  const month = twoDigits(text, 5);
  const day = twoDigits(text, 8);
  return month >= 1 && month <= 12 && day >= 1 && day <= 28 && twoDigits(text, 11) <= 23 && twoDigits(text, 14) <= 59 && twoDigits(text, 17) <= 59;
}

/** The number the two digits at `index` write. */
function twoDigits(text: string, index: number): number {
  return (text.charCodeAt(index) - 48) * 10 + text.charCodeAt(index + 1) - 48;
}


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
  if (isCanonical(text)) return text;
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
