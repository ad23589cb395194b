/** Name of our custom backoff type in job options (`backoff: { type: SYNC_BACKOFF }`). */
export const SYNC_BACKOFF = 'inventory-sync';

/**
 * Exponential backoff with "equal jitter" (half fixed, half random) so a burst of failures does
 * not retry in lockstep; never sooner than the partner's Retry-After.
 */
export function syncBackoffDelay(attemptsMade: number, err: unknown, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attemptsMade - 1));
  const jittered = Math.round(exp / 2 + random() * (exp / 2));
  const retryAfter = (err as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
  return typeof retryAfter === 'number' && retryAfter > jittered ? Math.ceil(retryAfter) : jittered;
}
