export const CREDENTIAL_STATUSES = ['current', 'previous', 'pending', 'retired'] as const;
export type CredentialStatus = (typeof CREDENTIAL_STATUSES)[number];
export const CREDENTIAL_HEALTH = ['ok', 'expiring', 'expired', 'stale', 'failing'] as const;
export type CredentialHealth = (typeof CREDENTIAL_HEALTH)[number];

export interface HealthInput {
  expiresAt: Date | null;
  rotateEveryDays: number | null;
  createdAt: Date;
  rotatedAt: Date | null;
  lastVerifiedAt: Date | null;
  lastUsedAt: Date | null;
  lastFailureAt: Date | null;
}

export interface HealthVerdict {
  health: CredentialHealth;
  /** For `expiring`: the tightest warning threshold (days) already crossed. */
  expiringWithinDays?: number;
}

const DAY_MS = 86_400_000;

/**
 * One verdict per version, worst first: a credential the partner refuses is the emergency even
 * if it also expires soon. A failure counts until a later success (verification or real use).
 */
export function credentialHealth(v: HealthInput, now: Date, warnDays: number[]): HealthVerdict {
  const lastOk = Math.max(v.lastVerifiedAt?.getTime() ?? 0, v.lastUsedAt?.getTime() ?? 0);
  if (v.lastFailureAt && v.lastFailureAt.getTime() >= lastOk) return { health: 'failing' };
  if (v.expiresAt) {
    const left = v.expiresAt.getTime() - now.getTime();
    if (left <= 0) return { health: 'expired' };
    const crossed = warnDays.filter((d) => left <= d * DAY_MS);
    if (crossed.length) return { health: 'expiring', expiringWithinDays: Math.min(...crossed) };
  }
  if (v.rotateEveryDays) {
    const since = (v.rotatedAt ?? v.createdAt).getTime();
    if (now.getTime() - since > v.rotateEveryDays * DAY_MS) return { health: 'stale' };
  }
  return { health: 'ok' };
}
