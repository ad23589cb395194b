import type { QuotaLimit } from '../constants';

/** The current UTC day or calendar month: an id for Redis keys, its end, and its length in seconds. */
export function quotaPeriod(period: QuotaLimit['period'], now: number): { id: string; endsAt: number; seconds: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (period === 'day') {
    const start = Date.UTC(y, m, d.getUTCDate());
    return { id: `d${new Date(start).toISOString().slice(0, 10)}`, endsAt: start + 86_400_000, seconds: 86_400 };
  }
  const start = Date.UTC(y, m, 1);
  const end = Date.UTC(y, m + 1, 1);
  return { id: `m${new Date(start).toISOString().slice(0, 7)}`, endsAt: end, seconds: Math.round((end - start) / 1000) };
}

/** Where a key's quota counters live in Redis: `<prefix><keyId>:<periodId>`, the units leased out for that period. */
export function quotaKeyPrefix(redisPrefix: string): string {
  return `${redisPrefix}:api-keys:quota:`;
}
