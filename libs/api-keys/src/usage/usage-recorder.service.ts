import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AuditService } from '@hub/core';
import { DataSource } from 'typeorm';
import { ApiKeysConfig } from '../api-keys.config';
import { AUDIT } from '../constants';
import { addHistograms, LATENCY_BUCKETS, latencyBucket } from './latency-histogram';
import { clientsJson, HIST, USAGE_COLUMNS, usageColumns, UsageRow } from './usage-columns';

/** Counters of one (key or route, hour) cell, taken out and zeroed in place by every write. */
interface UsageCounters {
  /** Set once the cell has left the map (written for the last time): holders must look again. */
  dead: boolean;
  /** Writes in a row that found no new request in this cell; a cell idle for long is dropped. */
  idleWrites: number;
  /** The keyId, or the route (`GET /v1/keys/:keyId`). */
  id: string;
  hour: number;
  requests: number;
  e4: number;
  e5: number;
  latSum: number;
  latMax: number;
  /** Where this cell's requests per latency bucket (latency-histogram.ts) start in the recorder's HistogramSlab. */
  histAt: number;
  /** Requests in the histogram not yet written (histograms are written every HIST_EVERY_WRITES writes). */
  histN: number;
}

export interface UsageCell extends UsageCounters {
  lastUsed: number;
  /**
   * The User-Agent and X-Client-Version of the last request, compared with `===` on the hot path (by content, no allocation):
   * only a change looks through `clients`. null before the first request.
   */
  ua: string | undefined | null;
  cv: string | undefined | null;
  /** The hour's distinct (User-Agent, X-Client-Version) pairs, flat, at most MAX_CLIENTS pairs. */
  clients: (string | undefined)[];
  /** Pairs of `clients` already handed to a write. */
  clientsSent: number;
}

export type RouteUsageCell = UsageCounters;

/** A route's hold on its current cell (the guard keeps one per route it maps): no lookup by name per request. */
export interface RouteUsageHolder {
  readonly route: string;
  usage: RouteUsageCell | undefined;
}

interface FailureCell {
  keyId: string | null;
  ip: string;
  minute: number;
  reason: string;
  requestId: string;
  count: number;
}

/** A key's cell stays in place between writes (zeroed, not replaced) until this many writes found it idle. */
const IDLE_WRITES_BEFORE_DROP = 60;

/** Latency histograms go out with every this-many-th timed write (and with every flush() and cell that leaves). */
export const HIST_EVERY_WRITES = 10;

/** Distinct auth-failure buckets written per flush; the rest fold into one catch-all bucket per address. */
const MAX_FAILURE_BUCKETS = 500;

/**
 * Distinct (User-Agent, X-Client-Version) pairs kept per key and hour: a client sending a new
 * value with every request cannot grow memory or the row past this. Values are cut to
 * MAX_CLIENT_TEXT characters when written.
 */
export const MAX_CLIENTS = 10;
const MAX_CLIENT_TEXT = 200;

/**
 * Every cell's latency histogram, side by side in one array; a cell holds its offset. A
 * Uint32Array of its own per cell (404 bytes, so its data lives off the V8 heap) cost each request
 * two memory loads far apart, the array object and then its data, and with thousands of keys both
 * miss the cache. bench:auth's 5,000-key run (60 rounds, R3 by api CPU): 0.822 and 0.826 with an
 * array per cell, 0.836 and 0.836 with this slab, 0.838 with no histogram at all. Cells leave only
 * through drain, which gives their slot back, zeroed.
 */
class HistogramSlab {
  data = new Uint32Array(LATENCY_BUCKETS * 256);
  private readonly free: number[] = [];
  private next = 0;

  take(): number {
    const slot = this.free.pop();
    if (slot !== undefined) return slot;
    if (this.next + LATENCY_BUCKETS > this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const at = this.next;
    this.next += LATENCY_BUCKETS;
    return at;
  }

  give(at: number): void {
    this.data.fill(0, at, at + LATENCY_BUCKETS);
    this.free.push(at);
  }

  /** Slots in use (tests: none may leak). */
  get used(): number {
    return this.next / LATENCY_BUCKETS - this.free.length;
  }
}

function newCounters(id: string, hour: number, histAt: number): UsageCounters {
  return { dead: false, idleWrites: 0, id, hour, requests: 0, e4: 0, e5: 0, latSum: 0, latMax: 0, histAt, histN: 0 };
}

/**
 * Spelled out, not `{ ...newCounters(), ... }`: an object made by spreading gets generic field
 * representations, so every `latSum +=` and `lastUsed =` then boxes a new number. Measured on
 * 5,000 keys: 860 ns a record that way, 20 ns this way.
 */
function newUsageCell(keyId: string, hour: number, now: number, histAt: number): UsageCell {
  return {
    dead: false, idleWrites: 0, id: keyId, hour, requests: 0, e4: 0, e5: 0, latSum: 0, latMax: 0, histAt, histN: 0,
    lastUsed: now, ua: null, cv: null, clients: [], clientsSent: 0,
  };
}

/** One response into a cell: a few additions and a bucket from Math.clz32. */
function tally(c: UsageCounters, status: number, latencyMs: number, hists: Uint32Array): void {
  c.requests++;
  if (status >= 500) c.e5++;
  else if (status >= 400) c.e4++;
  c.latSum += latencyMs;
  if (latencyMs > c.latMax) c.latMax = latencyMs;
  hists[c.histAt + latencyBucket(latencyMs)]++;
  c.histN++;
}

/**
 * Takes the counts out of a cell as a row, zeroing them in place (the cell stays where it is held),
 * and the histogram too when `withHist` (otherwise it keeps counting until a write that takes it).
 * Only the histogram's non-zero span travels: with thousands of keys a second, the whole 101
 * buckets of each made the write's JSON half as large again.
 */
function takeRow(c: UsageCounters, lastUsed: number, withHist: boolean, hists: Uint32Array): UsageRow {
  let lo = 0;
  let hb: number[] = NO_BUCKETS;
  if (withHist) {
    const at = c.histAt;
    let hi = LATENCY_BUCKETS;
    while (hi > 0 && hists[at + hi - 1] === 0) hi--;
    while (lo < hi && hists[at + lo] === 0) lo++;
    hb = new Array(hi - lo);
    for (let i = lo; i < hi; i++) hb[i - lo] = hists[at + i];
    hists.fill(0, at + lo, at + hi);
    c.histN = 0;
  }
  const row: UsageRow = { k: c.id, h: c.hour, r: c.requests, e4: c.e4, e5: c.e5, ls: c.latSum, lm: c.latMax, lu: lastUsed, ho: lo, hb };
  c.requests = 0;
  c.e4 = 0;
  c.e5 = 0;
  c.latSum = 0;
  c.latMax = 0;
  c.idleWrites = 0;
  return row;
}
const NO_BUCKETS: number[] = [];

/** The stored histogram plus the new one, element by element (either may be the shorter). */
const HIST_SUM = `ARRAY(SELECT COALESCE(a, 0) + COALESCE(b, 0) FROM unnest(u.latency_hist, EXCLUDED.latency_hist) WITH ORDINALITY AS x(a, b, n) ORDER BY n)`;

/** The stored client pairs, then the new ones not among them, MAX_CLIENTS at most (several instances write the same row). */
const CLIENTS_UNION = `(SELECT COALESCE(jsonb_agg(c ORDER BY o), '[]'::jsonb) FROM (
           SELECT c, min(o) AS o FROM (
             SELECT c, o FROM jsonb_array_elements(u.clients) WITH ORDINALITY AS old(c, o)
             UNION ALL SELECT c, 1000 + o FROM jsonb_array_elements(EXCLUDED.clients) WITH ORDINALITY AS new(c, o)
           ) pairs GROUP BY c ORDER BY min(o) LIMIT ${MAX_CLIENTS}) kept)`;

/** A key's requests, 4xx and 5xx since the last totals write, and its last use (epoch ms). */
interface KeyTotals {
  r: number;
  e4: number;
  e5: number;
  last: number;
}

/** Adds `t` to the key's pending totals (the map keeps `t` itself when the key has none yet). */
function addTotals(totals: Map<string, KeyTotals>, keyId: string, t: KeyTotals): void {
  const cur = totals.get(keyId);
  if (!cur) totals.set(keyId, t);
  else {
    cur.r += t.r;
    cur.e4 += t.e4;
    cur.e5 += t.e5;
    cur.last = Math.max(cur.last, t.last);
  }
}

const clientText = (v: string | undefined) => (v === undefined ? null : v.length > MAX_CLIENT_TEXT ? v.slice(0, MAX_CLIENT_TEXT) : v);

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
  /** Per-route cells, keyed like `usage` (the route alone for its current hour). */
  private routes = new Map<string, RouteUsageCell>();
  /** Every cell's latency histogram (keys' and routes'). */
  private readonly hists = new HistogramSlab();
  private unwrittenRoutes: UsageRow[] = [];
  private failures = new Map<string, FailureCell>();
  /** Per-key totals waiting for the (less frequent) write to api_keys. */
  private totals = new Map<string, KeyTotals>();
  private lastTotalsWrite = Date.now();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private flushingFull = false;
  private ticks = 0;

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly audit: AuditService,
    private readonly cfg: ApiKeysConfig,
  ) {}

  onModuleInit(): void {
    this.timer = setInterval(() => void this.tick(), this.cfg.API_KEY_USAGE_FLUSH_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.lastTotalsWrite = 0;
    await this.flush();
  }

  /**
   * Counts one response of a key. Runs on every request: no allocation in the steady state (a cell
   * is made once per key or route and hour), no I/O, no string building; the client headers are
   * compared with the last ones (`===`) and only a change looks through the hour's small set
   * of pairs. `route`: for a response to an admitted request, the route's holder, or null when
   * the route is not one the guard maps (its client headers still count); undefined for the key
   * check's own refusals, which count for the key only.
   */
  record(
    keyId: string,
    status: number,
    latencyMs: number,
    now: number,
    holder?: { usage?: UsageCell },
    route?: RouteUsageHolder | null,
    userAgent?: string,
    clientVersion?: string | string[],
  ): void {
    const hour = now - (now % 3_600_000);
    // Keyed by keyId alone on the hot path; a cell from the previous hour moves aside when the hour turns.
    let c = holder?.usage;
    if (c === undefined || c.dead || c.hour !== hour) c = this.usage.get(keyId);
    if (!c || c.hour !== hour) {
      if (c) this.usage.set(keyId + '|' + c.hour, c);
      c = newUsageCell(keyId, hour, now, this.hists.take());
      this.usage.set(keyId, c);
    }
    // Stored only when it changed: a store of a pointer costs a write barrier, on every request otherwise.
    if (holder && holder.usage !== c) holder.usage = c;
    const hists = this.hists.data;
    tally(c, status, latencyMs, hists);
    c.lastUsed = now;
    if (route === undefined) return;
    const cv = typeof clientVersion === 'string' ? clientVersion : undefined;
    if (userAgent !== c.ua || cv !== c.cv) this.noteClient(c, userAgent, cv);
    if (route !== null) {
      let r = route.usage;
      if (r === undefined || r.dead || r.hour !== hour) r = this.routeCell(route, hour);
      tally(r, status, latencyMs, hists);
    }
  }

  /** A holder for one route's cells; the guard keeps one per route it maps. */
  routeHolder(route: string): RouteUsageHolder {
    return { route, usage: undefined };
  }

  /** The client headers changed since this cell's last request: remember them, and the pair if it is new and there is room. */
  private noteClient(c: UsageCell, ua: string | undefined, cv: string | undefined): void {
    c.ua = ua;
    c.cv = cv;
    const list = c.clients;
    for (let i = 0; i < list.length; i += 2) if (list[i] === ua && list[i + 1] === cv) return;
    if (list.length < MAX_CLIENTS * 2) list.push(ua, cv);
  }

  private routeCell(holder: RouteUsageHolder, hour: number): RouteUsageCell {
    const route = holder.route;
    let r = this.routes.get(route);
    if (!r || r.hour !== hour) {
      if (r) this.routes.set(route + '|' + r.hour, r);
      r = newCounters(route, hour, this.hists.take());
      this.routes.set(route, r);
    }
    holder.usage = r;
    return r;
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
    return this.run(true);
  }

  /**
   * The timer's write: counts every time, latency histograms every HIST_EVERY_WRITES-th time. Merging
   * a histogram costs Postgres more than the counts (55 ms a second more for 5,000 busy keys, on top
   * of 100 ms), and percentiles do not need to be a second fresh.
   */
  private tick(): Promise<void> {
    return this.run(++this.ticks % HIST_EVERY_WRITES === 0);
  }

  /** Concurrent calls share one write; a full one asked for during a partial one runs after it. */
  private run(full: boolean): Promise<void> {
    if (this.flushing && (!full || this.flushingFull)) return this.flushing;
    const prior = this.flushing ?? Promise.resolve();
    const next = prior.catch(() => undefined).then(() => this.write(full)).finally(() => {
      if (this.flushing === next) this.flushing = null;
    });
    this.flushing = next;
    this.flushingFull = full;
    return next;
  }

  /**
   * Takes what the cells counted since the last write and zeroes them in place: a busy key keeps
   * its cell (and the guard's hold on it) across writes, so the request path neither allocates nor
   * inserts after every flush. Cells of an hour gone by and of keys idle for
   * IDLE_WRITES_BEFORE_DROP writes leave the map, marked dead for whoever still holds them.
   */
  private async write(full: boolean): Promise<void> {
    // Rows of a write that failed go out again with this one.
    const rows = this.unwritten;
    const keyRetries = rows.length > 0;
    this.unwritten = [];
    UsageRecorderService.drain(this.usage, this.hists, rows, full, (c, withHist, hists) => {
      const row = takeRow(c, c.lastUsed, withHist, hists);
      if (c.clients.length > c.clientsSent * 2) {
        row.cl = [];
        for (let i = c.clientsSent * 2; i < c.clients.length; i += 2) row.cl.push([clientText(c.clients[i]), clientText(c.clients[i + 1])]);
        c.clientsSent = c.clients.length / 2;
      }
      return row;
    });
    const routeRows = this.unwrittenRoutes;
    const routeRetries = routeRows.length > 0;
    this.unwrittenRoutes = [];
    // Routes are few: their histograms go out with every write.
    UsageRecorderService.drain(this.routes, this.hists, routeRows, true, (c, withHist, hists) => takeRow(c, 0, withHist, hists));
    const failures = this.failures;
    this.failures = new Map();
    await this.writeRows(rows, keyRetries, (m) => this.writeUsage(m), this.unwritten, 'API key usage');
    await this.writeRows(routeRows, routeRetries, (m) => this.writeRouteUsage(m), this.unwrittenRoutes, 'per-route usage');
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
   * Moves the counts of every cell that has some into `rows`, with its histogram when `full` or
   * when the cell is leaving. Cells of an hour gone by and cells idle for IDLE_WRITES_BEFORE_DROP
   * writes leave the map, marked dead for whoever still holds them, and give their histogram slot back.
   */
  private static drain<C extends UsageCounters>(
    cells: Map<string, C>,
    hists: HistogramSlab,
    rows: UsageRow[],
    full: boolean,
    take: (c: C, withHist: boolean, hists: Uint32Array) => UsageRow,
  ): void {
    for (const [id, c] of cells) {
      const active = c.requests > 0;
      if (!active) c.idleWrites++;
      const leaving = id !== c.id || c.idleWrites >= IDLE_WRITES_BEFORE_DROP;
      const withHist = (full || leaving) && c.histN > 0;
      if (active || withHist) rows.push(take(c, withHist, hists.data));
      if (leaving) {
        c.dead = true;
        cells.delete(id);
        hists.give(c.histAt);
      }
    }
  }

  /**
   * Writes rows; if the write fails they go into `retry`, to go out with the next one. Only rows
   * carried over from a failed write can share a (key or route, hour) with a drained one (a map
   * holds one cell per pair), so only then are they merged: otherwise that is a map and a string
   * per row every second, 5,000 of them with 5,000 busy keys, for nothing.
   */
  private async writeRows(rows: UsageRow[], hasRetries: boolean, write: (rows: UsageRow[]) => Promise<void>, retry: UsageRow[], what: string): Promise<void> {
    if (!rows.length) return;
    const merged = hasRetries ? UsageRecorderService.byRow(rows) : rows;
    try {
      await write(merged);
    } catch (err) {
      this.logger.error({ err }, `could not write ${what}; will retry`);
      retry.push(...merged);
    }
  }

  /**
   * One row per (key or route, hour): ON CONFLICT cannot touch the same row twice in a statement.
   * Folds into the first row of each pair; the rows are the caller's own, used once.
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
        UsageRecorderService.addSpan(cur, r);
        if (r.cl) cur.cl = [...(cur.cl ?? []), ...r.cl];
      }
    }
    return [...byRow.values()];
  }

  /** Adds `r`'s histogram span into `into`'s (both rows of the same cell, folded before a write). */
  private static addSpan(into: UsageRow, r: UsageRow): void {
    const lo = Math.min(into.ho, r.ho);
    const hist = new Array<number>(Math.max(into.ho + into.hb.length, r.ho + r.hb.length) - lo).fill(0);
    addHistograms(hist, into.hb, into.ho - lo);
    addHistograms(hist, r.hb, r.ho - lo);
    into.ho = lo;
    into.hb = hist;
  }

  /**
   * One statement for every (key, hour) row. The rows travel as one array per column (usageColumns):
   * node-postgres escapes array parameters element by element in JS, and JSON.stringify over row
   * objects cost the api more than the write itself with thousands of keys a second (bench:auth's
   * 5,000-key run, CPU profiles), so the array literals are built here.
   */
  private async writeUsage(rows: UsageRow[]): Promise<void> {
    await this.ds.query(
      `INSERT INTO api_key_usage_hourly AS u (key_id, hour, requests, errors_4xx, errors_5xx, latency_ms_sum, latency_ms_max, latency_hist, clients)
       SELECT t.k, to_timestamp(t.h * 3600), t.r, t.e4, t.e5, t.ls / 1000, t.lm / 1000, ${HIST}, COALESCE(c.cl, '[]'::jsonb)
         FROM ${USAGE_COLUMNS}
         LEFT JOIN json_to_recordset($10::json) AS c(n bigint, cl jsonb) ON c.n = t.n
       ON CONFLICT (key_id, hour) DO UPDATE SET
         requests = u.requests + EXCLUDED.requests, errors_4xx = u.errors_4xx + EXCLUDED.errors_4xx,
         errors_5xx = u.errors_5xx + EXCLUDED.errors_5xx, latency_ms_sum = u.latency_ms_sum + EXCLUDED.latency_ms_sum,
         latency_ms_max = GREATEST(u.latency_ms_max, EXCLUDED.latency_ms_max),
         latency_hist = CASE WHEN cardinality(EXCLUDED.latency_hist) = 0 THEN u.latency_hist ELSE ${HIST_SUM} END,
         clients = CASE WHEN EXCLUDED.clients = '[]'::jsonb THEN u.clients ELSE ${CLIENTS_UNION} END`,
      [...usageColumns(rows), clientsJson(rows)],
    );
    for (const r of rows) addTotals(this.totals, r.k, { r: r.r, e4: r.e4, e5: r.e5, last: r.lu });
  }

  /** The per-route rollup behind GET /v1/analytics/endpoints: one statement, like writeUsage. */
  private async writeRouteUsage(rows: UsageRow[]): Promise<void> {
    await this.ds.query(
      `INSERT INTO api_route_usage_hourly AS u (route, hour, requests, errors_4xx, errors_5xx, latency_ms_sum, latency_ms_max, latency_hist)
       SELECT t.k, to_timestamp(t.h * 3600), t.r, t.e4, t.e5, t.ls / 1000, t.lm / 1000, ${HIST}
         FROM ${USAGE_COLUMNS}
       ON CONFLICT (route, hour) DO UPDATE SET
         requests = u.requests + EXCLUDED.requests, errors_4xx = u.errors_4xx + EXCLUDED.errors_4xx,
         errors_5xx = u.errors_5xx + EXCLUDED.errors_5xx, latency_ms_sum = u.latency_ms_sum + EXCLUDED.latency_ms_sum,
         latency_ms_max = GREATEST(u.latency_ms_max, EXCLUDED.latency_ms_max),
         latency_hist = ${HIST_SUM}`,
      usageColumns(rows),
    );
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
      for (const [k, t] of totals) addTotals(this.totals, k, t);
    }
  }
}
