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
    const silenceStart = now - this.cfg.KEY_SILENT_HOURS * HOUR;
    const silenceBaselineFrom = silenceStart - this.cfg.KEY_SILENT_BASELINE_DAYS * 24 * HOUR;
    const rows: Record<string, string>[] = await this.ds.query(
      `SELECT key_id,
              count(DISTINCT floor(extract(epoch FROM ($2::timestamptz - hour)) / 86400))
                FILTER (WHERE hour > $3 AND hour < $2 AND requests > 0) AS baseline_days,
              COALESCE(sum(requests) FILTER (WHERE hour = $4), 0) AS current_hour,
              COALESCE(sum(requests) FILTER (WHERE hour = $5), 0) AS previous_hour,
              COALESCE(sum(requests) FILTER (WHERE hour >= $6 AND hour < $5), 0) AS baseline,
              COALESCE(sum(requests) FILTER (WHERE hour >= $5), 0) AS recent,
              COALESCE(sum(errors_4xx) FILTER (WHERE hour >= $5), 0) AS recent_4xx,
              COALESCE(sum(errors_5xx) FILTER (WHERE hour >= $5), 0) AS recent_5xx
         FROM api_key_usage_hourly
        WHERE key_id = ANY($1) AND hour > LEAST($3::timestamptz, $6::timestamptz - interval '1 hour')
        GROUP BY key_id`,
      [keys.map((k) => k.keyId), new Date(silenceStart), new Date(silenceBaselineFrom), new Date(current), new Date(previous), new Date(baselineFrom)],
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
