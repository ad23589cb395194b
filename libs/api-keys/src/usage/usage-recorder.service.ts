import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditService } from '@hub/core';
import { DataSource } from 'typeorm';
import { ApiKeysConfig } from '../api-keys.config';
import { AUDIT } from '../constants';

export interface UsageCell {
  /** Set once the cell has left the map (written for the last time): holders must look again. */
  dead: boolean;
  /** Writes in a row that found no new request in this cell; a cell idle for long is dropped. */
  idleWrites: number;
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

/** One (key, hour) row of a usage write, as sent to Postgres (json_to_recordset; hour in epoch ms). */
interface UsageRow {
  k: string;
  h: number;
  r: number;
  e4: number;
  e5: number;
  ls: number;
  lm: number;
  lu: number;
}

/** A key's cell stays in place between writes (zeroed, not replaced) until this many writes found it idle. */
const IDLE_WRITES_BEFORE_DROP = 60;

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
  private unwritten: UsageRow[] = [];
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
      c = { dead: false, idleWrites: 0, keyId, hour, requests: 0, e4: 0, e5: 0, latSum: 0, latMax: 0, lastUsed: now };
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

  /**
   * Takes what the cells counted since the last write and zeroes them in place: a busy key keeps
   * its cell (and the guard's hold on it) across writes, so the request path neither allocates nor
   * inserts after every flush. Cells of an hour gone by and of keys idle for
   * IDLE_WRITES_BEFORE_DROP writes leave the map, marked dead for whoever still holds them.
   */
  private async write(): Promise<void> {
    // Rows of a write that failed go out again with this one.
    const rows = this.unwritten;
    this.unwritten = [];
    for (const [id, c] of this.usage) {
      if (c.requests > 0) {
        rows.push({ k: c.keyId, h: c.hour, r: c.requests, e4: c.e4, e5: c.e5, ls: c.latSum, lm: c.latMax, lu: c.lastUsed });
        c.requests = 0;
        c.e4 = 0;
        c.e5 = 0;
        c.latSum = 0;
        c.latMax = 0;
        c.idleWrites = 0;
      } else c.idleWrites++;
      if (id !== c.keyId || c.idleWrites >= IDLE_WRITES_BEFORE_DROP) {
        c.dead = true;
        this.usage.delete(id);
      }
    }
    const failures = this.failures;
    this.failures = new Map();
    if (rows.length) {
      const merged = UsageRecorderService.byRow(rows);
      try {
        await this.writeUsage(merged);
      } catch (err) {
        this.logger.error({ err }, 'could not write API key usage; will retry');
        this.unwritten.push(...merged);
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

  /**
   * One row per (key, hour): ON CONFLICT cannot touch the same row twice in a statement. Folds
   * into the first row of each pair; the rows are the caller's own, used once.
   */
  private static byRow(all: UsageRow[]): UsageRow[] {
    const byRow = new Map<string, UsageRow>();
    for (const r of all) {
      const id = r.k + '|' + r.h;
      const cur = byRow.get(id);
      if (!cur) byRow.set(id, r);
      else {
        cur.r += r.r;
        cur.e4 += r.e4;
        cur.e5 += r.e5;
        cur.ls += r.ls;
        cur.lm = Math.max(cur.lm, r.lm);
        cur.lu = Math.max(cur.lu, r.lu);
      }
    }
    return [...byRow.values()];
  }

  /**
   * One statement for every (key, hour) row. The rows travel as one JSON document: node-postgres
   * escapes array parameters element by element in JS, which cost the api more than the write
   * itself with thousands of keys a second (bench:auth's 5,000-key run, CPU profile).
   */
  private async writeUsage(rows: UsageRow[]): Promise<void> {
    await this.ds.query(
      `INSERT INTO api_key_usage_hourly AS u (key_id, hour, requests, errors_4xx, errors_5xx, latency_ms_sum, latency_ms_max)
       SELECT k, to_timestamp(h / 1000.0), r, e4, e5, ls, lm
         FROM json_to_recordset($1::json) AS t(k text, h bigint, r bigint, e4 bigint, e5 bigint, ls float8, lm float8)
       ON CONFLICT (key_id, hour) DO UPDATE SET
         requests = u.requests + EXCLUDED.requests, errors_4xx = u.errors_4xx + EXCLUDED.errors_4xx,
         errors_5xx = u.errors_5xx + EXCLUDED.errors_5xx, latency_ms_sum = u.latency_ms_sum + EXCLUDED.latency_ms_sum,
         latency_ms_max = GREATEST(u.latency_ms_max, EXCLUDED.latency_ms_max)`,
      [JSON.stringify(rows)],
    );
    for (const r of rows) {
      const t = this.totals.get(r.k);
      if (!t) this.totals.set(r.k, { r: r.r, e4: r.e4, e5: r.e5, last: r.lu });
      else {
        t.r += r.r;
        t.e4 += r.e4;
        t.e5 += r.e5;
        t.last = Math.max(t.last, r.lu);
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
    const rows = [...totals.keys()].sort().map((k) => ({ k, ...totals.get(k)! }));
    try {
      await this.ds.query(
        `UPDATE api_keys k SET request_count = k.request_count + v.r, error_4xx_count = k.error_4xx_count + v.e4,
                error_5xx_count = k.error_5xx_count + v.e5, last_used_at = GREATEST(k.last_used_at, to_timestamp(v.last / 1000.0))
           FROM json_to_recordset($1::json) AS v(k text, r bigint, e4 bigint, e5 bigint, last bigint)
          WHERE k.key_id = v.k`,
        [JSON.stringify(rows)],
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
