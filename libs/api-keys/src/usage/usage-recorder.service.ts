import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditService } from '@hub/core';
import { DataSource } from 'typeorm';
import { ApiKeysConfig } from '../api-keys.config';
import { AUDIT } from '../constants';

export interface UsageCell {
  /** Set once the cell's map has been swapped out for writing: holders must look again. */
  dead: boolean;
  keyId: string;
  hour: number;
  requests: number;
  e4: number;
  e5: number;
  latSum: number;
  latMax: number;
  lastUsed: number;
}

interface FailureCell {
  keyId: string | null;
  ip: string;
  minute: number;
  reason: string;
  requestId: string;
  count: number;
}

/** Distinct auth-failure buckets written per flush; the rest fold into one catch-all bucket per address. */
const MAX_FAILURE_BUCKETS = 500;

/**
 * Usage and auth-failure counts batched in memory and written once per flush interval: one upsert
 * into the hourly rollup, one update of the keys' counters and lastUsedAt, and one aggregated
 * audit row per (keyId, address, minute). Nothing here runs on the request path.
 */
@Injectable()
export class UsageRecorderService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('ApiKeyUsage');
  private usage = new Map<string, UsageCell>();
  private failures = new Map<string, FailureCell>();
  /** Per-key totals waiting for the (less frequent) write to api_keys. */
  private totals = new Map<string, { r: number; e4: number; e5: number; last: number }>();
  private lastTotalsWrite = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly cfg: ApiKeysConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.cfg.API_KEY_USAGE_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.lastTotalsWrite = 0;
    await this.flush();
  }

  record(keyId: string, status: number, latencyMs: number, now: number, holder?: { usage?: UsageCell }): void {
    const hour = now - (now % 3_600_000);
    // Keyed by keyId alone on the hot path; a cell from the previous hour moves aside when the hour turns.
    let c = holder?.usage;
    if (c === undefined || c.dead || c.hour !== hour) c = this.usage.get(keyId);
    if (!c || c.hour !== hour) {
      if (c) this.usage.set(keyId + '|' + c.hour, c);
      c = { dead: false, keyId, hour, requests: 0, e4: 0, e5: 0, latSum: 0, latMax: 0, lastUsed: now };
      this.usage.set(keyId, c);
    }
    if (holder) holder.usage = c;
    c.requests++;
    if (status >= 500) c.e5++;
    else if (status >= 400) c.e4++;
    c.latSum += latencyMs;
    if (latencyMs > c.latMax) c.latMax = latencyMs;
    c.lastUsed = now;
  }

  authFailed(keyId: string | null, ip: string, reason: string, requestId: string, now: number): void {
    const minute = Math.floor(now / 60_000);
    let id = `${keyId ?? '-'}|${ip}|${minute}|${reason}`;
    if (!this.failures.has(id) && this.failures.size >= MAX_FAILURE_BUCKETS) {
      id = `*|${ip}|${minute}|${reason}`;
      keyId = '*';
    }
    const c = this.failures.get(id);
    if (c) c.count++;
    else this.failures.set(id, { keyId, ip, minute, reason, requestId, count: 1 });
  }

  /** Writes what has accumulated; concurrent calls share one write. */
  flush(): Promise<void> {
    this.flushing ??= this.write().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async write(): Promise<void> {
    const usage = this.usage;
    const failures = this.failures;
    for (const c of usage.values()) c.dead = true;
    this.usage = new Map();
    this.failures = new Map();
    if (usage.size) {
      try {
        await this.writeUsage([...usage.values()]);
      } catch (err) {
        this.logger.error({ err }, 'could not write API key usage; will retry');
        for (const c of usage.values()) this.merge(c);
      }
    }
    await this.writeTotals(Date.now());
    for (const f of failures.values()) {
      try {
        await this.audit.recordAggregated(
          `auth-failed:${f.keyId ?? '-'}:${f.ip}:${f.minute}:${f.reason}`,
          { action: AUDIT.authFailed, actorKeyId: null, subjectType: 'api_key', subjectId: f.keyId, requestId: f.requestId, ip: f.ip, details: { reason: f.reason, minute: new Date(f.minute * 60_000).toISOString() } },
          f.count,
        );
      } catch (err) {
        this.logger.error({ err }, 'could not write an auth-failure audit event');
      }
    }
  }

  private merge(c: UsageCell): void {
    const id = c.keyId + '|' + c.hour + '|retry';
    const cur = this.usage.get(id);
    if (!cur) this.usage.set(id, c);
    else {
      cur.requests += c.requests;
      cur.e4 += c.e4;
      cur.e5 += c.e5;
      cur.latSum += c.latSum;
      cur.latMax = Math.max(cur.latMax, c.latMax);
      cur.lastUsed = Math.max(cur.lastUsed, c.lastUsed);
    }
  }

  private async writeUsage(all: UsageCell[]): Promise<void> {
    // One row per (key, hour) in a statement: ON CONFLICT cannot touch the same row twice.
    const byRow = new Map<string, UsageCell>();
    for (const c of all) {
      const id = c.keyId + '|' + c.hour;
      const cur = byRow.get(id);
      if (!cur) byRow.set(id, { ...c });
      else {
        cur.requests += c.requests;
        cur.e4 += c.e4;
        cur.e5 += c.e5;
        cur.latSum += c.latSum;
        cur.latMax = Math.max(cur.latMax, c.latMax);
        cur.lastUsed = Math.max(cur.lastUsed, c.lastUsed);
      }
    }
    const cells = [...byRow.values()];
    await this.ds.query(
      `INSERT INTO api_key_usage_hourly AS u (key_id, hour, requests, errors_4xx, errors_5xx, latency_ms_sum, latency_ms_max)
       SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::bigint[], $5::bigint[], $6::float8[], $7::float8[])
       ON CONFLICT (key_id, hour) DO UPDATE SET
         requests = u.requests + EXCLUDED.requests, errors_4xx = u.errors_4xx + EXCLUDED.errors_4xx,
         errors_5xx = u.errors_5xx + EXCLUDED.errors_5xx, latency_ms_sum = u.latency_ms_sum + EXCLUDED.latency_ms_sum,
         latency_ms_max = GREATEST(u.latency_ms_max, EXCLUDED.latency_ms_max)`,
      [
        cells.map((c) => c.keyId), cells.map((c) => new Date(c.hour).toISOString()), cells.map((c) => c.requests),
        cells.map((c) => c.e4), cells.map((c) => c.e5), cells.map((c) => c.latSum), cells.map((c) => c.latMax),
      ],
    );
    for (const c of cells) {
      const t = this.totals.get(c.keyId);
      if (!t) this.totals.set(c.keyId, { r: c.requests, e4: c.e4, e5: c.e5, last: c.lastUsed });
      else {
        t.r += c.requests;
        t.e4 += c.e4;
        t.e5 += c.e5;
        t.last = Math.max(t.last, c.lastUsed);
      }
    }
  }

  /** Totals and lastUsedAt on the key records, at most every API_KEY_LAST_USED_FLUSH_MS. */
  private async writeTotals(now: number): Promise<void> {
    if (!this.totals.size || now - this.lastTotalsWrite < this.cfg.API_KEY_LAST_USED_FLUSH_MS) return;
    const totals = this.totals;
    this.totals = new Map();
    this.lastTotalsWrite = now;
    // Sorted so two instances updating the same keys lock them in the same order.
    const ks = [...totals.keys()].sort();
    const ts = ks.map((k) => totals.get(k)!);
    try {
      await this.ds.query(
        `UPDATE api_keys k SET request_count = k.request_count + v.r, error_4xx_count = k.error_4xx_count + v.e4,
                error_5xx_count = k.error_5xx_count + v.e5, last_used_at = GREATEST(k.last_used_at, v.last)
           FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::timestamptz[]) AS v(key_id, r, e4, e5, last)
          WHERE k.key_id = v.key_id`,
        [ks, ts.map((t) => t.r), ts.map((t) => t.e4), ts.map((t) => t.e5), ts.map((t) => new Date(t.last).toISOString())],
      );
    } catch (err) {
      this.logger.error({ err }, 'could not write API key totals; will retry');
      for (const [k, t] of totals) {
        const cur = this.totals.get(k);
        if (!cur) this.totals.set(k, t);
        else {
          cur.r += t.r;
          cur.e4 += t.e4;
          cur.e5 += t.e5;
          cur.last = Math.max(cur.last, t.last);
        }
      }
    }
  }
}
