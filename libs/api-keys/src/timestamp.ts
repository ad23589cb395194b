import { toDate, validationFailed } from '@hub/core';

/** A [from, to) window of a usage query. Usage is counted by UTC hour: an hour belongs to the window when its start does. */
export interface TimeWindow {
  from: Date;
  to: Date;
}

const DAY_MS = 86_400_000;

/**
 * The window of a usage or analytics query: `to` defaults to now and `from` to `defaultDays`
 * before `to`; a bad date, from >= to or a span over `maxDays` is 400 validation-failed naming the field.
 */
export function timeWindow(q: { from?: string; to?: string }, defaultDays: number, maxDays: number, now = Date.now()): TimeWindow {
  const to = toDate('to', q.to) ?? new Date(now);
  const from = toDate('from', q.from) ?? new Date(to.getTime() - defaultDays * DAY_MS);
  if (from >= to) throw validationFailed([{ field: 'from', message: 'must be before to' }]);
  if (to.getTime() - from.getTime() > maxDays * DAY_MS) throw validationFailed([{ field: 'from', message: `must be at most ${maxDays} days before to` }]);
  return { from, to };
}

/** The window of a usage series: by hour, 24 h by default and 31 days at most; by day, 30 and 366. */
export function usageWindow(q: { from?: string; to?: string }, granularity: 'hour' | 'day', now = Date.now()): TimeWindow {
  return granularity === 'hour' ? timeWindow(q, 1, 31, now) : timeWindow(q, 30, 366, now);
}
