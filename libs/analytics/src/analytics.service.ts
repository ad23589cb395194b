import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { ApiKeysService, latencyPercentile, QuotaLeaseService, QuotaUsageService, USAGE_BUCKET_ROWS, USAGE_BUCKET_START } from '@hub/api-keys';
import { ProblemException, validationFailed } from '@hub/core';
import { DataSource } from 'typeorm';
import type { TimeWindow } from '@hub/api-keys';
import type { EndpointAnalyticsDto, KeyAnalyticsDto, LatencyDto, UsageBucketDto } from './dto/analytics-response.dto';
import { KeyHealthService } from './key-health/key-health.service';

/** Client pairs listed per key (each key-hour records at most 10). */
const MAX_CLIENTS_LISTED = 20;

/** Sums of one group of hourly rows, as Postgres returns them (bigint and numeric as text) or as numbers. */
interface Sums {
  requests: string | number;
  e4: string | number;
  e5: string | number;
  lat_sum: string | number | null;
  lat_max: string | number | null;
}

type Traffic = Pick<KeyAnalyticsDto, 'requests' | 'errors4xx' | 'errors5xx' | 'rate4xx' | 'rate5xx' | 'latencyMs'>;

const SUMS = `COALESCE(sum(requests), 0) AS requests, COALESCE(sum(errors_4xx), 0) AS e4, COALESCE(sum(errors_5xx), 0) AS e5,
              sum(latency_ms_sum) AS lat_sum, max(latency_ms_max) AS lat_max`;

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** Counts, rates and latency of a group of rows; `hist` is their summed histogram. */
function traffic(s: Sums | undefined, hist: number[] | undefined): Traffic {
  const requests = Number(s?.requests ?? 0);
  const e4 = Number(s?.e4 ?? 0);
  const e5 = Number(s?.e5 ?? 0);
  const max = s?.lat_max == null || !requests ? null : round(Number(s.lat_max), 3);
  const latencyMs: LatencyDto = {
    avg: requests && s?.lat_sum != null ? round(Number(s.lat_sum) / requests, 3) : null,
    p50: hist ? latencyPercentile(hist, 0.5, max) : null,
    p95: hist ? latencyPercentile(hist, 0.95, max) : null,
    p99: hist ? latencyPercentile(hist, 0.99, max) : null,
    max,
  };
  return { requests, errors4xx: e4, errors5xx: e5, rate4xx: requests ? round(e4 / requests, 4) : null, rate5xx: requests ? round(e5 / requests, 4) : null, latencyMs };
}

/**
 * The read side of the usage the api-keys lib records (api_key_usage_hourly, api_route_usage_hourly)
 * and of the quota counters: per key, per time bucket, per route. Every figure comes from those
 * rows (written within API_KEY_USAGE_FLUSH_MS) or from Redis; nothing is sampled or estimated
 * except the percentiles, which are read from fixed histogram buckets.
 */
@Injectable()
export class AnalyticsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly keys: ApiKeysService,
    private readonly health: KeyHealthService,
    private readonly quotas: QuotaUsageService,
    private readonly leases: QuotaLeaseService,
  ) {}

  /** One page of keys (GET /v1/keys order and cursors) with their figures over the window. */
  async keyAnalytics(w: TimeWindow, page: { limit?: number; cursor?: string }): Promise<{ data: KeyAnalyticsDto[]; nextCursor: string | null }> {
    const { data: records, nextCursor } = await this.keys.list(page);
    const ids = records.map((r) => r.keyId);
    const window = [ids, w.from, w.to];
    const now = Date.now();
    const [sums, hists, peaks, clients, health, quotas] = await Promise.all([
      this.ds.query(`SELECT key_id AS id, ${SUMS} FROM api_key_usage_hourly WHERE key_id = ANY($1) AND hour >= $2 AND hour < $3 GROUP BY key_id`, window),
      this.histograms('api_key_usage_hourly', 'key_id', 'key_id = ANY($1) AND hour >= $2 AND hour < $3', window),
      this.ds.query(
        `SELECT DISTINCT ON (key_id) key_id AS id, hour, requests FROM api_key_usage_hourly
          WHERE key_id = ANY($1) AND hour >= $2 AND hour < $3 AND requests > 0 ORDER BY key_id, requests DESC, hour`,
        window,
      ),
      this.ds.query(
        `SELECT id, ua, cv, first_hour, last_hour FROM (
           SELECT key_id AS id, c->>0 AS ua, c->>1 AS cv, min(hour) AS first_hour, max(hour) AS last_hour,
                  row_number() OVER (PARTITION BY key_id ORDER BY max(hour) DESC, min(hour), c->>0, c->>1) AS n
             FROM api_key_usage_hourly, jsonb_array_elements(clients) AS c
            WHERE key_id = ANY($1) AND hour >= $2 AND hour < $3
            GROUP BY key_id, c->>0, c->>1) pairs
          WHERE n <= ${MAX_CLIENTS_LISTED} ORDER BY id, n`,
        window,
      ),
      this.health.assess(records, now),
      this.quotas.read(records.map((r) => ({ keyId: r.keyId, quota: r.effectiveLimits.quota })), now),
    ]);
    const sumsById = new Map((sums as (Sums & { id: string })[]).map((s) => [s.id, s]));
    const peakById = new Map((peaks as { id: string; hour: Date; requests: string }[]).map((p) => [p.id, p]));
    const clientsById = new Map<string, KeyAnalyticsDto['clients']>();
    for (const c of clients as { id: string; ua: string | null; cv: string | null; first_hour: Date; last_hour: Date }[]) {
      const list = clientsById.get(c.id) ?? [];
      list.push({ userAgent: c.ua, clientVersion: c.cv, firstSeenHour: new Date(c.first_hour).toISOString(), lastSeenHour: new Date(c.last_hour).toISOString() });
      clientsById.set(c.id, list);
    }
    const data = records.map((r): KeyAnalyticsDto => {
      const peak = peakById.get(r.keyId);
      const q = quotas.get(r.keyId);
      const h = health.get(r.keyId)!;
      // Units this instance leased and has not spent are in the Redis counter but were not used.
      const used = q ? Math.max(0, q.used - this.leases.unspent(r.keyId, q.periodId)) : 0;
      return {
        keyId: r.keyId,
        name: r.name,
        status: r.status,
        tier: r.tier,
        ...traffic(sumsById.get(r.keyId), hists.get(r.keyId)),
        peakHour: peak ? { start: new Date(peak.hour).toISOString(), requests: Number(peak.requests) } : null,
        lastUsedAt: r.lastUsedAt,
        quota: q
          ? { limit: q.limit, period: q.period, periodStart: q.periodStart, resetsAt: q.resetsAt, used, remaining: Math.max(0, q.limit - used), ratio: round(used / q.limit, 4) }
          : null,
        zombie: h.zombie,
        silent: h.silent,
        clients: clientsById.get(r.keyId) ?? [],
      };
    });
    return { data, nextCursor };
  }

  /** Every UTC hour or day of the window, empty ones included, for one key or all of them. */
  async usage(w: TimeWindow, keyId: string | null, granularity: 'hour' | 'day'): Promise<UsageBucketDto[]> {
    if (keyId !== null) await this.assertKey(keyId);
    const params = [w.from, w.to, granularity, keyId];
    const [buckets, hists] = await Promise.all([
      this.keys.usageBuckets(w, keyId, granularity),
      this.histograms('api_key_usage_hourly', USAGE_BUCKET_START, USAGE_BUCKET_ROWS, params),
    ]);
    return buckets.map((b) => ({
      start: b.start,
      ...traffic({ requests: b.requests, e4: b.errors4xx, e5: b.errors5xx, lat_sum: b.latencySumMs, lat_max: b.latencyMaxMs }, hists.get(b.start)),
    }));
  }

  /** Per route over the window, busiest first. */
  async endpoints(w: TimeWindow): Promise<EndpointAnalyticsDto[]> {
    const params = [w.from, w.to];
    const where = 'hour >= $1 AND hour < $2';
    const [sums, hists] = await Promise.all([
      this.ds.query(`SELECT route AS id, ${SUMS} FROM api_route_usage_hourly WHERE ${where} GROUP BY route ORDER BY sum(requests) DESC, route`, params),
      this.histograms('api_route_usage_hourly', 'route', where, params),
    ]);
    return (sums as (Sums & { id: string })[]).map((s) => {
      const space = s.id.indexOf(' ');
      return { route: s.id, method: s.id.slice(0, space), path: s.id.slice(space + 1), ...traffic(s, hists.get(s.id)) };
    });
  }

  /** Summed latency histograms per group (`group` and `where` are this file's own SQL, never input). */
  private async histograms(table: string, group: string, where: string, params: unknown[]): Promise<Map<string, number[]>> {
    const rows: { id: string; n: string; c: string }[] = await this.ds.query(
      `SELECT ${group} AS id, b.n, sum(b.c) AS c FROM ${table}, unnest(latency_hist) WITH ORDINALITY AS b(c, n)
        WHERE ${where} GROUP BY 1, 2`,
      params,
    );
    const out = new Map<string, number[]>();
    for (const r of rows) {
      let hist = out.get(r.id);
      if (!hist) out.set(r.id, (hist = []));
      const i = Number(r.n) - 1;
      while (hist.length < i) hist.push(0);
      hist[i] = Number(r.c);
    }
    return out;
  }

  /** An unknown keyId is a bad query parameter here (400 naming it), not a missing resource. */
  private async assertKey(keyId: string): Promise<void> {
    try {
      await this.keys.get(keyId);
    } catch (err) {
      if (err instanceof ProblemException && err.getStatus() === 404) throw validationFailed([{ field: 'keyId', message: 'is not the keyId of an API key' }]);
      throw err;
    }
  }
}
