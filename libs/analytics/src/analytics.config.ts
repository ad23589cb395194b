import { propertyRule } from '@hub/core';
import { IsInt, IsNumber, Max, Min, ValidationOptions } from 'class-validator';

/** The value may not exceed the one of `other` (a threshold that must fit in its window). */
function IsAtMost(other: keyof AnalyticsConfig, options?: ValidationOptions): PropertyDecorator {
  return propertyRule('isAtMost', `must be at most ${String(other)}`, (v, args) => typeof v === 'number' && v <= Number((args?.object as AnalyticsConfig)[other]), options);
}

/**
 * The fewest days of hourly usage the analytics read: the longest window the endpoints accept, the
 * silent-key look-back (silence plus its baseline) and the anomaly baseline (7 days and 2 hours).
 */
export function usageDaysRead(cfg: Pick<AnalyticsConfig, 'ANALYTICS_MAX_WINDOW_DAYS' | 'KEY_SILENT_HOURS' | 'KEY_SILENT_BASELINE_DAYS'>): number {
  return Math.max(cfg.ANALYTICS_MAX_WINDOW_DAYS, Math.ceil(cfg.KEY_SILENT_HOURS / 24) + cfg.KEY_SILENT_BASELINE_DAYS, 8);
}

/** Retention may not be shorter than what the analytics read (it would turn a key silent or anomalous by itself). */
function CoversUsageRead(options?: ValidationOptions): PropertyDecorator {
  return propertyRule(
    'coversUsageRead',
    (args) => `must be at least ${usageDaysRead(args.object as AnalyticsConfig)}: ANALYTICS_MAX_WINDOW_DAYS, KEY_SILENT_HOURS + KEY_SILENT_BASELINE_DAYS and the 8-day anomaly baseline read that far back`,
    (v, args) => typeof v === 'number' && v >= usageDaysRead(args?.object as AnalyticsConfig),
    options,
  );
}

/**
 * The definitions behind the key flags of GET /v1/analytics/keys and the key alerts (docs/analytics.md
 * states each condition). Validated at boot like every other config: a bad value stops the process
 * naming the variable.
 */
export class AnalyticsConfig {
  /** Zombie: an active key created at least this many days ago and not used for as long (or never). */
  @IsInt()
  @Min(1)
  @Max(3650)
  KEY_ZOMBIE_DAYS = 30;

  /** Silent: an active key with steady traffic that has made no request for this many hours. */
  @IsInt()
  @Min(1)
  @Max(720)
  KEY_SILENT_HOURS = 24;

  /** Silent: the days before the silence looked at for steady traffic... */
  @IsInt()
  @Min(1)
  @Max(60)
  KEY_SILENT_BASELINE_DAYS = 7;

  /** ...of which at least this many must have seen a request. */
  @IsInt()
  @Min(1)
  @Max(60)
  @IsAtMost('KEY_SILENT_BASELINE_DAYS')
  KEY_SILENT_MIN_ACTIVE_DAYS = 5;

  /** Anomaly: requests in the current or the previous UTC hour above this multiple of the key's hourly mean... */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(1.1)
  @Max(1000)
  KEY_ANOMALY_FACTOR = 5;

  /** ...and at least this many requests in that hour (a quiet key's mean is tiny). */
  @IsInt()
  @Min(1)
  KEY_ANOMALY_MIN_REQUESTS = 100;

  /** Anomaly: the mean is over up to 168 hours before the previous hour; a key with fewer hours of history than this is not judged. */
  @IsInt()
  @Min(1)
  @Max(168)
  KEY_ANOMALY_MIN_HISTORY_HOURS = 24;

  /** quota-near: the share of the current period's quota used (Redis counter) from which it alerts. */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.01)
  @Max(1)
  QUOTA_NEAR_RATIO = 0.8;

  /** key-error-rate: share of 4xx + 5xx answers over the current and previous UTC hour... */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(1)
  KEY_ERROR_RATE_RATIO = 0.2;

  /** ...or share of 5xx answers alone... */
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0.001)
  @Max(1)
  KEY_ERROR_RATE_5XX_RATIO = 0.05;

  /** ...once the key made at least this many requests in those hours. */
  @IsInt()
  @Min(1)
  KEY_ERROR_RATE_MIN_REQUESTS = 20;

  /** Longest window GET /v1/analytics/keys and /endpoints accept (usage: 31 days hourly, 366 daily). */
  @IsInt()
  @Min(1)
  @Max(3660)
  ANALYTICS_MAX_WINDOW_DAYS = 92;

  /**
   * Hourly usage rows (per key and per route) older than this are deleted by the worker's hourly
   * `purge-usage` job. 400 days keeps a full year of daily usage (`granularity=day` accepts 366 days).
   */
  @IsInt()
  @Max(3660)
  @CoversUsageRead()
  USAGE_RETENTION_DAYS = 400;

  /**
   * Audit events (key, product, order and vault changes; vault access) older than this are deleted
   * by the worker's hourly `purge-audit` job. Two years: a forensic trail has to outlive the
   * incident it explains, and these rows are few (one per change).
   */
  @IsInt()
  @Min(30)
  @Max(3660)
  AUDIT_RETENTION_DAYS = 730;

  /**
   * Authentication failures (`key.auth-failed`, one row per keyId, address, reason and minute) go
   * sooner: they are the trail's bulk under a brute-force attempt, and their use is recent
   * investigation.
   */
  @IsInt()
  @Min(1)
  @Max(3660)
  @IsAtMost('AUDIT_RETENTION_DAYS')
  AUDIT_AUTH_FAILURE_RETENTION_DAYS = 90;
}
