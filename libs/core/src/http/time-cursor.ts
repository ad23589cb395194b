import { parseTimestamp } from './timestamp';
import { validationFailed } from './problem';

/**
 * Keyset pagination over `ORDER BY created_at DESC, id DESC`: the cursor is the base64url of
 * "<created_at, UTC, to the microsecond>|<id>". The time is the stored value formatted by Postgres
 * (select CURSOR_AT with the page): a JS Date keeps only milliseconds, and a truncated time skipped
 * every row created later within the same millisecond.
 */
export const CURSOR_AT = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Microseconds (what is written), or milliseconds (cursors issued before, still honoured). */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}(\d{3})?Z$/;

export interface TimeCursor {
  createdAt: string;
  id: string;
  /** A millisecond cursor: its row's real time lies somewhere within that millisecond. */
  legacy: boolean;
}

export const encodeTimeCursor = (createdAtUs: string, id: string): string => Buffer.from(`${createdAtUs}|${id}`).toString('base64url');

/**
 * Accepts exactly what encodeTimeCursor writes (or wrote), or answers 400 naming `cursor`: a real
 * timestamp (so Postgres can never refuse it: no "x 2020", no February 30, no year 0) and an id
 * matching `idPattern`.
 */
export function decodeTimeCursor(cursor: string, idPattern: RegExp): TimeCursor {
  const text = Buffer.from(cursor, 'base64url').toString('latin1');
  const parts = text.split('|');
  const [createdAt, id] = parts;
  const m = parts.length === 2 && Buffer.from(text, 'latin1').toString('base64url') === cursor ? CURSOR_TIME.exec(createdAt) : null;
  const t = m ? parseTimestamp(createdAt) : null;
  // parseTimestamp reads milliseconds only; the round trip proves the date and time fields are real.
  if (!t || t.toISOString() !== `${createdAt.slice(0, 23)}Z` || !idPattern.test(id)) {
    throw validationFailed([{ field: 'cursor', message: 'must be a cursor returned by a previous page' }]);
  }
  return { createdAt, id, legacy: m![1] === undefined };
}

/**
 * The condition for the rows after `c`, with `arg` adding a query parameter and returning its
 * placeholder. A millisecond cursor's row lies somewhere in that millisecond: the rest of it is
 * shown again rather than risk skipping any (a page may repeat a few rows, never lose one).
 */
export function afterTimeCursor(c: TimeCursor, arg: (v: unknown) => string, idColumn: string, idType: string): string {
  return c.legacy
    ? `created_at < ${arg(c.createdAt)}::timestamptz + interval '1 millisecond' AND ${idColumn} <> ${arg(c.id)}::${idType}`
    : `(created_at, ${idColumn}) < (${arg(c.createdAt)}::timestamptz, ${arg(c.id)}::${idType})`;
}
