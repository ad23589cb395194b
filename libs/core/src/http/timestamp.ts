import { validationFailed } from './problem';

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: the 4-digit years Postgres and ISO 8601 both take. */
const MIN_MS = -62_135_596_800_000;
const MAX_MS = 253_402_300_799_999;

/** Calendar date, or date-time to the minute or finer with an optional `Z`/offset (none: UTC). */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/;

const daysIn = (year: number, month: number) => (month === 2 ? (year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31);

/**
 * Parses a timestamp from a request body, query string or cursor, or null. Stricter than
 * class-validator's IsISO8601 (which also takes week and ordinal dates such as 2020-W01 and
 * 2020-100 that `new Date()` cannot read, or misreads) and than `Date.parse` (which takes "x 2020"
 * and reads a zoneless date-time in the server's zone): every field is range-checked, so what
 * Postgres receives is always a valid timestamptz.
 */
export function parseTimestamp(text: string): Date | null {
  const m = TIMESTAMP.exec(text);
  if (!m) return null;
  const [y, mo, d, h = 0, mi = 0, s = 0] = [m[1], m[2], m[3], m[4], m[5], m[6]].map((x) => (x === undefined ? undefined : Number(x))) as number[];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || s > 59) return null;
  let offsetMin = 0;
  const zone = m[8];
  if (zone && zone !== 'Z' && zone !== 'z') {
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(-2));
    if (oh > 23 || om > 59) return null;
    offsetMin = (zone[0] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  const t = date.getTime() - offsetMin * 60_000;
  return t >= MIN_MS && t <= MAX_MS ? new Date(t) : null;
}

/** One strict reading of every date a request carries: 400 naming the field, never a Postgres error. */
export function toDate(field: string, v: string | null | undefined): Date | null | undefined {
  if (v === undefined || v === null) return v;
  const d = parseTimestamp(v);
  if (!d) throw validationFailed([{ field, message: 'must be an ISO 8601 calendar date or date-time from year 0001 to 9999, e.g. 2026-01-31T00:00:00Z' }]);
  return d;
}
