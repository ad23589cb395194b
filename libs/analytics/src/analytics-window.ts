import { validationFailed } from '@hub/core';
import { toDate } from '@hub/api-keys';

export interface AnalyticsWindow {
  from: Date;
  to: Date;
}

const DAY = 86_400_000;

/**
 * The [from, to) of an analytics query: `to` defaults to now and `from` to `defaultDays` before
 * `to`; a bad date, from >= to or a span over `maxDays` is 400 validation-failed naming the field.
 * Usage is counted by UTC hour: an hour belongs to the window when its start does.
 */
export function analyticsWindow(q: { from?: string; to?: string }, defaultDays: number, maxDays: number, now = Date.now()): AnalyticsWindow {
  const to = toDate('to', q.to) ?? new Date(now);
  const from = toDate('from', q.from) ?? new Date(to.getTime() - defaultDays * DAY);
  if (from >= to) throw validationFailed([{ field: 'from', message: 'must be before to' }]);
  if (to.getTime() - from.getTime() > maxDays * DAY) throw validationFailed([{ field: 'from', message: `must be at most ${maxDays} days before to` }]);
  return { from, to };
}
