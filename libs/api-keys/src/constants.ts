import type { Tier } from '@hub/core';

export interface QuotaLimit {
  limit: number;
  period: 'day' | 'month';
}

export interface LimitOverrides {
  burstPerSecond?: number;
  /** null: explicitly no quota, whatever the tier says. */
  quota?: QuotaLimit | null;
}

export interface EffectiveLimits {
  burstPerSecond: number;
  quota: QuotaLimit | null;
}

/** CONTRACT "API keys" tier table. */
export const TIER_LIMITS: Record<Tier, EffectiveLimits> = {
  free: { burstPerSecond: 1, quota: { limit: 500, period: 'day' } },
  standard: { burstPerSecond: 5, quota: { limit: 5000, period: 'month' } },
  gold: { burstPerSecond: 50, quota: { limit: 1_000_000, period: 'month' } },
  internal: { burstPerSecond: 200, quota: null },
};

export function effectiveLimits(tier: Tier, overrides: LimitOverrides | null | undefined): EffectiveLimits {
  const base = TIER_LIMITS[tier];
  return {
    burstPerSecond: overrides?.burstPerSecond ?? base.burstPerSecond,
    quota: overrides && overrides.quota !== undefined ? overrides.quota : base.quota,
  };
}

/** Pub/sub channel (under REDIS_PREFIX) announcing a changed key, so every instance drops its cached copy. */
export const KEY_CHANGED_CHANNEL = 'api-keys:changed';
/** A key is shown as `expiring` this long before its expiry. */
export const EXPIRING_WINDOW_MS = 7 * 24 * 3600 * 1000;
export const DEFAULT_ROTATION_OVERLAP_SECONDS = 24 * 3600;

/** Free metadata stays small: it is returned on every read of the key. */
export const METADATA_MAX_BYTES = 4096;

/** A revocation's reason is the record of why, and the first one stays: trimmed, never blank. */
export const REVOKE_REASON_MAX = 500;
export const REVOKE_REASON_RULE = `must be 1 to ${REVOKE_REASON_MAX} characters, not blank`;

export const AUDIT = {
  created: 'key.created',
  patched: 'key.patched',
  rotated: 'key.rotated',
  revoked: 'key.revoked',
  authFailed: 'key.auth-failed',
  anomaly: 'key.anomaly',
} as const;

/** Policy names and windows for the RateLimit headers (draft-ietf-httpapi-ratelimit-headers). */
export const QUOTA_POLICY = { day: { name: 'daily', window: 86_400 }, month: { name: 'monthly', window: 2_592_000 } } as const;

export function rateLimitPolicy(l: EffectiveLimits): string {
  const burst = `"burst";q=${l.burstPerSecond};w=1`;
  if (!l.quota) return burst;
  const p = QUOTA_POLICY[l.quota.period];
  return `${burst}, "${p.name}";q=${l.quota.limit};w=${p.window}`;
}
