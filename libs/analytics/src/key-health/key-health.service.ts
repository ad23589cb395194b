import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ApiKeyRecord } from '@hub/api-keys';
import { DataSource } from 'typeorm';
import { AnalyticsConfig } from '../analytics.config';
import { isSilent, isZombie, KeyFacts } from './key-conditions';

const HOUR = 3_600_000;
/** The anomaly baseline: the trailing 7 days of hours before the previous hour. */
const BASELINE_HOURS = 168;

export interface KeyHealth {
  facts: KeyFacts;
  zombie: boolean;
  silent: boolean;
}

/**
 * The facts the key conditions read, for a page of keys in one query over their hourly usage
 * rows, and the zombie/silent flags from the one definition of each (key-conditions.ts): the
 * analytics endpoint and the alert evaluation both come here.
 */
@Injectable()
export class KeyHealthService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly cfg: AnalyticsConfig,
  ) {}

  async assess(keys: ApiKeyRecord[], now = Date.now()): Promise<Map<string, KeyHealth>> {
    const out = new Map<string, KeyHealth>();
    if (!keys.length) return out;
    const current = now - (now % HOUR);
    const previous = current - HOUR;
    const baselineFrom = previous - BASELINE_HOURS * HOUR;
    // The silence baseline is anchored at each key's last request, not at now: anchored at now, the
    // days of steady traffic slid out of the window while the key stayed quiet, and after about
    // four silent days the flag (and its alert) cleared though nothing had changed.
    const baselineDays = this.cfg.KEY_SILENT_BASELINE_DAYS;
    const rows: Record<string, string>[] = await this.ds.query(
      `WITH k AS (SELECT * FROM unnest($1::text[], $2::timestamptz[]) AS t(key_id, last_used))
       SELECT u.key_id,
              count(DISTINCT floor(extract(epoch FROM (k.last_used - u.hour)) / 86400))
                FILTER (WHERE u.hour > k.last_used - $3 * interval '1 day' AND u.hour <= k.last_used AND u.requests > 0) AS baseline_days,
              COALESCE(sum(u.requests) FILTER (WHERE u.hour = $4), 0) AS current_hour,
              COALESCE(sum(u.requests) FILTER (WHERE u.hour = $5), 0) AS previous_hour,
              COALESCE(sum(u.requests) FILTER (WHERE u.hour >= $6 AND u.hour < $5), 0) AS baseline,
              COALESCE(sum(u.requests) FILTER (WHERE u.hour >= $5), 0) AS recent,
              COALESCE(sum(u.errors_4xx) FILTER (WHERE u.hour >= $5), 0) AS recent_4xx,
              COALESCE(sum(u.errors_5xx) FILTER (WHERE u.hour >= $5), 0) AS recent_5xx
         FROM api_key_usage_hourly u
         JOIN k ON k.key_id = u.key_id
        WHERE u.hour > LEAST(COALESCE(k.last_used - $3 * interval '1 day', 'infinity'), $6::timestamptz - interval '1 hour')
        GROUP BY u.key_id`,
      [
        keys.map((k) => k.keyId),
        keys.map((k) => (k.lastUsedAt ? new Date(k.lastUsedAt) : null)),
        baselineDays,
        new Date(current),
        new Date(previous),
        new Date(baselineFrom),
      ],
    );
    const byKey = new Map(rows.map((r) => [r.key_id, r]));
    for (const k of keys) {
      const r = byKey.get(k.keyId);
      const createdAt = Date.parse(k.createdAt);
      const facts: KeyFacts = {
        status: k.status,
        rotatedTo: k.rotatedTo,
        createdAt,
        lastUsedAt: k.lastUsedAt ? Date.parse(k.lastUsedAt) : null,
        baselineActiveDays: Number(r?.baseline_days ?? 0),
        currentHour: Number(r?.current_hour ?? 0),
        previousHour: Number(r?.previous_hour ?? 0),
        baselineRequests: Number(r?.baseline ?? 0),
        baselineHours: Math.max(0, Math.min(BASELINE_HOURS, Math.floor((previous - (createdAt - (createdAt % HOUR))) / HOUR))),
        recentRequests: Number(r?.recent ?? 0),
        recent4xx: Number(r?.recent_4xx ?? 0),
        recent5xx: Number(r?.recent_5xx ?? 0),
      };
      out.set(k.keyId, { facts, zombie: isZombie(facts, now, this.cfg), silent: isSilent(facts, now, this.cfg) });
    }
    return out;
  }
}
