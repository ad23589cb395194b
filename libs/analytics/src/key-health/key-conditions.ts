import type { KeyStatus } from '@hub/api-keys';
import type { AnalyticsConfig } from '../analytics.config';

const HOUR = 3_600_000;
const DAY = 86_400_000;

/** What the key conditions read about one key (from its record and its hourly usage rows). */
export interface KeyFacts {
  status: KeyStatus;
  /** Set on a key replaced by a rotation: it is being retired, so its silence is expected. */
  rotatedTo: string | null;
  createdAt: number;
  /** api_keys.last_used_at (written every API_KEY_LAST_USED_FLUSH_MS); null: never used. */
  lastUsedAt: number | null;
  /**
   * Of the KEY_SILENT_BASELINE_DAYS 24-hour periods up to the key's last request (period i holds the
   * usage hours starting in (L - (i+1) days, L - i days], L = lastUsedAt), how many saw at least one
   * request. Anchored at L, so a silence stays a silence however long it lasts.
   */
  baselineActiveDays: number;
  /** Requests in the current UTC hour so far, and in the previous (complete) UTC hour. */
  currentHour: number;
  previousHour: number;
  /** Requests in the up to 168 hours before the previous hour, and how many of those hours the key existed. */
  baselineRequests: number;
  baselineHours: number;
  /** The current and the previous UTC hour together: requests, 4xx and 5xx answers. */
  recentRequests: number;
  recent4xx: number;
  recent5xx: number;
}

export type ConditionConfig = Pick<
  AnalyticsConfig,
  | 'KEY_ZOMBIE_DAYS'
  | 'KEY_SILENT_HOURS'
  | 'KEY_SILENT_MIN_ACTIVE_DAYS'
  | 'KEY_ANOMALY_FACTOR'
  | 'KEY_ANOMALY_MIN_REQUESTS'
  | 'KEY_ANOMALY_MIN_HISTORY_HOURS'
  | 'QUOTA_NEAR_RATIO'
  | 'KEY_ERROR_RATE_RATIO'
  | 'KEY_ERROR_RATE_5XX_RATIO'
  | 'KEY_ERROR_RATE_MIN_REQUESTS'
>;

/** A key that still authenticates: not revoked, not expired. Only these are judged. */
const usable = (k: Pick<KeyFacts, 'status'>) => k.status === 'active' || k.status === 'expiring';

/**
 * Zombie: a usable key, not replaced by a rotation, created at least KEY_ZOMBIE_DAYS ago, that was
 * never used or last used at least KEY_ZOMBIE_DAYS ago. A credential nobody uses is one to revoke.
 */
export function isZombie(k: KeyFacts, now: number, cfg: ConditionConfig): boolean {
  const age = cfg.KEY_ZOMBIE_DAYS * DAY;
  if (!usable(k) || k.rotatedTo !== null || now - k.createdAt < age) return false;
  return k.lastUsedAt === null || now - k.lastUsedAt >= age;
}

/**
 * Silent: a usable key, not replaced by a rotation, whose last request is at least KEY_SILENT_HOURS
 * old, after steady traffic: requests on at least KEY_SILENT_MIN_ACTIVE_DAYS of the
 * KEY_SILENT_BASELINE_DAYS days before that silence (see KeyFacts.baselineActiveDays).
 */
export function isSilent(k: KeyFacts, now: number, cfg: ConditionConfig): boolean {
  if (!usable(k) || k.rotatedTo !== null || k.lastUsedAt === null) return false;
  return now - k.lastUsedAt >= cfg.KEY_SILENT_HOURS * HOUR && k.baselineActiveDays >= cfg.KEY_SILENT_MIN_ACTIVE_DAYS;
}

/**
 * Anomaly: the busier of the current and the previous UTC hour has at least KEY_ANOMALY_MIN_REQUESTS
 * requests and more than KEY_ANOMALY_FACTOR times the key's hourly mean over the up to 168 hours
 * before the previous hour (hours before the key existed do not count; a key with fewer than
 * KEY_ANOMALY_MIN_HISTORY_HOURS such hours is not judged).
 */
export function anomaly(k: KeyFacts, cfg: ConditionConfig): { requests: number; hourlyMean: number } | null {
  if (!usable(k) || k.baselineHours < cfg.KEY_ANOMALY_MIN_HISTORY_HOURS) return null;
  const requests = Math.max(k.currentHour, k.previousHour);
  const hourlyMean = k.baselineRequests / k.baselineHours;
  if (requests < cfg.KEY_ANOMALY_MIN_REQUESTS || requests <= cfg.KEY_ANOMALY_FACTOR * hourlyMean) return null;
  return { requests, hourlyMean: Math.round(hourlyMean * 100) / 100 };
}

/**
 * Error rate: over the current and the previous UTC hour, at least KEY_ERROR_RATE_MIN_REQUESTS
 * requests, and 4xx + 5xx at least KEY_ERROR_RATE_RATIO of them or 5xx alone at least
 * KEY_ERROR_RATE_5XX_RATIO. `serverSide` tells the 5xx case (our fault, more urgent) apart.
 */
export function errorRate(k: KeyFacts, cfg: ConditionConfig): { requests: number; errorRate: number; rate5xx: number; serverSide: boolean } | null {
  if (!usable(k) || k.recentRequests < cfg.KEY_ERROR_RATE_MIN_REQUESTS) return null;
  const all = (k.recent4xx + k.recent5xx) / k.recentRequests;
  const rate5xx = k.recent5xx / k.recentRequests;
  const serverSide = rate5xx >= cfg.KEY_ERROR_RATE_5XX_RATIO;
  if (!serverSide && all < cfg.KEY_ERROR_RATE_RATIO) return null;
  return { requests: k.recentRequests, errorRate: round4(all), rate5xx: round4(rate5xx), serverSide };
}

/** Quota near: a usable key with a quota whose current period's counter is at least QUOTA_NEAR_RATIO of it. */
export function quotaNear(k: Pick<KeyFacts, 'status'>, used: number, limit: number, cfg: ConditionConfig): boolean {
  return usable(k) && used >= cfg.QUOTA_NEAR_RATIO * limit;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
