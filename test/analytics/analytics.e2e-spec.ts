import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { latencyBucket } from '@hub/api-keys';
import { bearer, callApi, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { AnalyticsProbeModule, flushUsage, keyIdOf, probe } from './support/analytics-probe';

const HOUR = 3_600_000;
const hourStart = (t = Date.now()) => new Date(t - (t % HOUR)).toISOString();

/** A histogram (as stored) with `n` requests in the bucket of each latency. */
function hist(...cells: [ms: number, n: number][]): number[] {
  const h: number[] = [];
  for (const [ms, n] of cells) {
    const b = latencyBucket(ms);
    while (h.length <= b) h.push(0);
    h[b] += n;
  }
  return h;
}

describe('GET /v1/analytics/*: per-key, per-period and per-route figures from real requests (real Postgres and Redis)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let ds: DataSource;
  let analyst: string;
  const get = (path: string, key = analyst) => callApi(api.url, 'GET', path, key);
  const fields = (body: any) => (body.errors ?? []).map((e: any) => e.field);
  const keyRow = async (keyId: string, query = 'limit=200') => {
    const res = await get(`/v1/analytics/keys?${query}`);
    assert.equal(res.status, 200, res.text);
    return res.body.data.find((k: any) => k.keyId === keyId);
  };

  before(async () => {
    db = await createTestDatabase('analytics');
    process.env.API_KEY_LAST_USED_FLUSH_MS = '50';
    api = await startApi({ extraModules: [AnalyticsProbeModule] });
    ds = api.app.get(DataSource);
    analyst = await createTestKey(api.app, { scopes: ['analytics:read'], name: 'analyst' });
  });
  after(async () => {
    delete process.env.API_KEY_LAST_USED_FLUSH_MS;
    await api?.close();
    await db?.drop();
  });

  it('reports a key\'s requests, 4xx and 5xx rates, latency percentiles, peak hour, lastUsedAt, quota used and client versions', async () => {
    const client = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'mobile app', limits: { burstPerSecond: 1000, quota: { limit: 50, period: 'day' } } });
    const ios = (v: string) => ({ 'user-agent': 'NovaSkinApp/2.3 (iOS 17)', 'x-client-version': v });
    const curl = { 'user-agent': 'curl/8.5.0' };
    const sent = [
      await probe(api.url, '/__analytics_probe/ok', client, ios('2.3.1')),
      await probe(api.url, '/__analytics_probe/ok', client, ios('2.3.1')),
      await probe(api.url, '/__analytics_probe/ok', client, curl),
      await probe(api.url, '/__analytics_probe/ok', client, curl),
      await probe(api.url, '/__analytics_probe/status/404', client, ios('2.3.1')),
      await probe(api.url, '/__analytics_probe/status/404', client, ios('2.4.0-beta')),
      await probe(api.url, '/__analytics_probe/status/503', client, ios('2.3.1')),
    ];
    assert.deepEqual(sent.map((s) => s.status), [200, 200, 200, 200, 404, 404, 503]);
    await flushUsage(api.app);

    const row = await keyRow(keyIdOf(client));
    assert.ok(row, 'the key is listed');
    assert.equal(row.name, 'mobile app');
    assert.equal(row.status, 'active');
    assert.equal(row.requests, 7);
    assert.equal(row.errors4xx, 2);
    assert.equal(row.errors5xx, 1);
    assert.equal(row.rate4xx, 0.2857);
    assert.equal(row.rate5xx, 0.1429);
    const { avg, p50, p95, p99, max } = row.latencyMs;
    assert.ok(avg > 0 && p50 > 0, JSON.stringify(row.latencyMs));
    assert.ok(p50 <= p95 && p95 <= p99 && p99 <= max, JSON.stringify(row.latencyMs));
    assert.ok(max <= Math.max(...sent.map((s) => s.ms)), 'the server never measures more than the client waited');
    assert.deepEqual(row.peakHour, { start: hourStart(), requests: 7 });
    assert.ok(row.lastUsedAt && Date.now() - Date.parse(row.lastUsedAt) < 60_000, `lastUsedAt ${row.lastUsedAt}`);
    // The limiter leased a block of units from Redis; the ones this instance holds unspent are not "used".
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(row.quota, {
      limit: 50, period: 'day', periodStart: `${today}T00:00:00.000Z`, resetsAt: new Date(Date.parse(today) + 86_400_000).toISOString(), used: 7, remaining: 43, ratio: 0.14,
    });
    assert.equal(row.zombie, false);
    assert.equal(row.silent, false);
    assert.deepEqual(
      row.clients.map((c: any) => [c.userAgent, c.clientVersion, c.firstSeenHour, c.lastSeenHour]),
      [
        ['NovaSkinApp/2.3 (iOS 17)', '2.3.1', hourStart(), hourStart()],
        ['NovaSkinApp/2.3 (iOS 17)', '2.4.0-beta', hourStart(), hourStart()],
        ['curl/8.5.0', null, hourStart(), hourStart()],
      ],
    );
    // A key without a quota says so; the analyst's own key has not been used on a probe route.
    const analystRow = await keyRow(keyIdOf(analyst));
    assert.equal(analystRow.quota, null);
  });

  it('reads latency percentiles from the histogram: never below the true latency, at most a bucket (25%) above it, the maximum exact', async () => {
    const slow = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'slow' });
    const fast: number[] = [];
    const slowMs: number[] = [];
    for (let i = 0; i < 5; i++) fast.push((await probe(api.url, '/__analytics_probe/sleep/40', slow)).ms);
    for (let i = 0; i < 5; i++) slowMs.push((await probe(api.url, '/__analytics_probe/sleep/400', slow)).ms);
    await flushUsage(api.app);
    // The median is the 5th fastest request: it slept 40 ms, and the server saw no more than the client waited.
    const fifth = Math.max(...fast);
    const check = (lat: any, what: string) => {
      assert.ok(lat.p50 >= 40 && lat.p50 <= fifth * 1.25, `${what} p50 ${lat.p50} within a bucket of [40, ${fifth}]`);
      assert.ok(lat.max >= 400 && lat.max <= Math.max(...slowMs), `${what} max ${lat.max}`);
      assert.equal(lat.p95, lat.max, `${what}: the 10th of 10 requests is the slowest`);
      assert.equal(lat.p99, lat.max);
    };
    const row = await keyRow(keyIdOf(slow));
    assert.equal(row.requests, 10);
    check(row.latencyMs, 'key');
    const usage = await get(`/v1/analytics/usage?keyId=${keyIdOf(slow)}&granularity=hour`);
    assert.equal(usage.status, 200, usage.text);
    const bucket = usage.body.data.find((b: any) => b.requests > 0);
    assert.equal(bucket.start, hourStart());
    check(bucket.latencyMs, 'usage bucket');
    const ep = (await get('/v1/analytics/endpoints')).body.data.find((e: any) => e.route === 'GET /__analytics_probe/sleep/:ms');
    assert.equal(ep.requests, 10);
    check(ep.latencyMs, 'endpoint');
  });

  it('GET /v1/analytics/endpoints: per route requests, 4xx and 5xx rates and latency over the window, busiest first', async () => {
    const res = await get('/v1/analytics/endpoints');
    assert.equal(res.status, 200, res.text);
    const byRoute = new Map(res.body.data.map((e: any) => [e.route, e]));
    const ok: any = byRoute.get('GET /__analytics_probe/ok');
    assert.deepEqual([ok.method, ok.path, ok.requests, ok.errors4xx, ok.errors5xx, ok.rate4xx, ok.rate5xx], ['GET', '/__analytics_probe/ok', 4, 0, 0, 0, 0]);
    const status: any = byRoute.get('GET /__analytics_probe/status/:code');
    assert.deepEqual([status.requests, status.errors4xx, status.errors5xx, status.rate4xx, status.rate5xx], [3, 2, 1, 0.6667, 0.3333]);
    assert.ok(status.latencyMs.p50 > 0 && status.latencyMs.p50 <= status.latencyMs.max);
    assert.ok(byRoute.has('GET /v1/analytics/keys'), 'the analytics routes count too');
    const counts = res.body.data.map((e: any) => e.requests);
    assert.deepEqual(counts, [...counts].sort((a: number, b: number) => b - a));
    // A window before any of it: nothing.
    const empty = await get('/v1/analytics/endpoints?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z');
    assert.deepEqual(empty.body, { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z', data: [] });
  });

  it('keeps at most 10 (User-Agent, X-Client-Version) pairs per key and hour, whatever a client sends', async () => {
    const noisy = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'noisy' });
    for (let i = 0; i < 15; i++) assert.equal((await probe(api.url, '/__analytics_probe/ok', noisy, { 'user-agent': `bot/${i}`, 'x-client-version': String(i) })).status, 200);
    // The same pair again and again costs nothing and adds nothing.
    for (let i = 0; i < 5; i++) await probe(api.url, '/__analytics_probe/ok', noisy, { 'user-agent': 'bot/0', 'x-client-version': '0' });
    await flushUsage(api.app);
    const row = await keyRow(keyIdOf(noisy));
    assert.equal(row.requests, 20);
    assert.deepEqual(
      row.clients.map((c: any) => c.userAgent).sort(),
      Array.from({ length: 10 }, (_, i) => `bot/${i}`).sort(),
    );
    const [stored] = await ds.query(`SELECT jsonb_array_length(clients) AS n FROM api_key_usage_hourly WHERE key_id = $1`, [keyIdOf(noisy)]);
    assert.equal(stored.n, 10);
  });

  it('counts the key check\'s own 429s for the key (as 4xx) but not for the route, and takes no client pair from them', async () => {
    const limited = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'limited', limits: { burstPerSecond: 1 } });
    const ua = { 'user-agent': 'burst-client/1' };
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await probe(api.url, '/__analytics_probe/status/404', limited, ua)).status);
    assert.deepEqual(statuses, [404, 429, 429]);
    await flushUsage(api.app);
    const row = await keyRow(keyIdOf(limited));
    assert.deepEqual([row.requests, row.errors4xx], [3, 3]);
    assert.deepEqual(row.clients.map((c: any) => [c.userAgent, c.clientVersion]), [['burst-client/1', null]]);
    const ep = (await get('/v1/analytics/endpoints')).body.data.find((e: any) => e.route === 'GET /__analytics_probe/status/:code');
    assert.equal(ep.requests, 4, 'the 3 of the first test and the one admitted here');
  });

  it('flags zombie keys (never or not used for 30 days, 30 days old) and silent keys (steady traffic, then none for 24 h); a request clears the flag', async () => {
    const zombie = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'zombie' });
    const silent = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'silent' });
    const fresh = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'fresh' });
    await ds.query(`UPDATE api_keys SET created_at = now() - interval '31 days' WHERE key_id = $1`, [keyIdOf(zombie)]);
    await ds.query(`UPDATE api_keys SET created_at = now() - interval '20 days', last_used_at = now() - interval '30 hours' WHERE key_id = $1`, [keyIdOf(silent)]);
    // Requests on 6 of the 7 days before its silence began.
    await ds.query(
      `INSERT INTO api_key_usage_hourly (key_id, hour, requests) SELECT $1, date_trunc('hour', now() - interval '31 hours' - d * interval '1 day'), 5 FROM generate_series(0, 5) d`,
      [keyIdOf(silent)],
    );
    const flags = async (key: string) => {
      const r = await keyRow(keyIdOf(key));
      return [r.zombie, r.silent];
    };
    assert.deepEqual(await flags(zombie), [true, false]);
    assert.deepEqual(await flags(silent), [false, true]);
    assert.deepEqual(await flags(fresh), [false, false]);
    // Only 3 active days left: not steady enough to call its quiet "silence".
    await ds.query(`DELETE FROM api_key_usage_hourly WHERE key_id = $1 AND hour < now() - interval '4 days'`, [keyIdOf(silent)]);
    assert.deepEqual(await flags(silent), [false, false]);

    assert.equal((await probe(api.url, '/__analytics_probe/ok', zombie)).status, 200);
    await flushUsage(api.app);
    assert.deepEqual(await flags(zombie), [false, false]);
  });

  it('keeps a key silent however long its silence lasts: the steady days are counted back from its last request', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'quiet for days' });
    await ds.query(`UPDATE api_keys SET created_at = now() - interval '20 days', last_used_at = now() - interval '5 days' WHERE key_id = $1`, [keyIdOf(key)]);
    // Requests on 6 of the 7 days before it went quiet five days ago: counted back from now - 24 h,
    // only 3 of those days are left in the window, and the flag would have cleared on its own.
    await ds.query(
      `INSERT INTO api_key_usage_hourly (key_id, hour, requests) SELECT $1, date_trunc('hour', now() - interval '5 days 1 hour' - d * interval '1 day'), 5 FROM generate_series(0, 5) d`,
      [keyIdOf(key)],
    );
    const r = await keyRow(keyIdOf(key));
    assert.deepEqual([r.zombie, r.silent], [false, true]);
  });

  it('GET /v1/analytics/usage: every UTC hour or day of the window, for one key or all of them, summed exactly with percentiles', async () => {
    const x = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'x' });
    const y = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'y' });
    const rows: [string, string, number, number, number, number, number, number[]][] = [
      [keyIdOf(x), '2026-01-10T05:00:00Z', 10, 1, 0, 50, 6, hist([5, 10])],
      [keyIdOf(x), '2026-01-10T07:00:00Z', 20, 0, 2, 1030, 80, hist([50, 19], [80, 1])],
      [keyIdOf(x), '2026-01-11T01:00:00Z', 5, 0, 0, 5, 1, hist([1, 5])],
      [keyIdOf(y), '2026-01-10T05:00:00Z', 3, 3, 0, 3, 1, hist([1, 3])],
    ];
    for (const r of rows) {
      await ds.query(
        `INSERT INTO api_key_usage_hourly (key_id, hour, requests, errors_4xx, errors_5xx, latency_ms_sum, latency_ms_max, latency_hist) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        r,
      );
    }
    const daily = await get(`/v1/analytics/usage?keyId=${keyIdOf(x)}&granularity=day&from=2026-01-10T00:00:00Z&to=2026-01-12T00:00:00Z`);
    assert.equal(daily.status, 200, daily.text);
    assert.deepEqual({ ...daily.body, data: undefined }, { keyId: keyIdOf(x), granularity: 'day', from: '2026-01-10T00:00:00.000Z', to: '2026-01-12T00:00:00.000Z', data: undefined });
    assert.deepEqual(daily.body.data, [
      // Ranks 15 and 29 of 30 are in the bucket of 50 ms, [49.152, 57.344); rank 30 in [65.536, 81.92), capped at the maximum, 80.
      { start: '2026-01-10T00:00:00.000Z', requests: 30, errors4xx: 1, errors5xx: 2, rate4xx: 0.0333, rate5xx: 0.0667, latencyMs: { avg: 36, p50: 57.344, p95: 57.344, p99: 80, max: 80 } },
      { start: '2026-01-11T00:00:00.000Z', requests: 5, errors4xx: 0, errors5xx: 0, rate4xx: 0, rate5xx: 0, latencyMs: { avg: 1, p50: 1, p95: 1, p99: 1, max: 1 } },
    ]);
    const hourly = await get(`/v1/analytics/usage?keyId=${keyIdOf(x)}&from=2026-01-10T04:00:00Z&to=2026-01-10T08:00:00Z`);
    assert.deepEqual(hourly.body.data.map((b: any) => [b.start, b.requests]), [
      ['2026-01-10T04:00:00.000Z', 0], ['2026-01-10T05:00:00.000Z', 10], ['2026-01-10T06:00:00.000Z', 0], ['2026-01-10T07:00:00.000Z', 20],
    ]);
    assert.deepEqual(hourly.body.data[0].latencyMs, { avg: null, p50: null, p95: null, p99: null, max: null });
    assert.equal(hourly.body.data[0].rate4xx, null);
    // Every key together.
    const all = await get('/v1/analytics/usage?from=2026-01-10T05:00:00Z&to=2026-01-10T06:00:00Z');
    assert.equal(all.body.keyId, null);
    assert.deepEqual(all.body.data.map((b: any) => [b.start, b.requests, b.errors4xx]), [['2026-01-10T05:00:00.000Z', 13, 4]]);
    // Defaults: the last 24 hours hourly (24 or 25 buckets, whole hours), the last 30 days daily.
    const dflt = await get(`/v1/analytics/usage?keyId=${keyIdOf(x)}`);
    assert.ok([24, 25].includes(dflt.body.data.length), String(dflt.body.data.length));
    const dfltDay = await get(`/v1/analytics/usage?keyId=${keyIdOf(x)}&granularity=day`);
    assert.ok([30, 31].includes(dfltDay.body.data.length), String(dfltDay.body.data.length));
  });

  it('answers bad query input with 400 problem+json naming the field', async () => {
    const cases: [string, string][] = [
      ['/v1/analytics/keys?from=yesterday', 'from'],
      ['/v1/analytics/keys?to=2026-13-01T00:00:00Z', 'to'],
      ['/v1/analytics/keys?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['/v1/analytics/keys?from=2025-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['/v1/analytics/keys?limit=0', 'limit'],
      ['/v1/analytics/keys?cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['/v1/analytics/keys?bogus=1', 'bogus'],
      ['/v1/analytics/usage?granularity=minute', 'granularity'],
      ['/v1/analytics/usage?keyId=not-a-key', 'keyId'],
      ['/v1/analytics/usage?keyId=AAAAAAAAAAAA', 'keyId'],
      ['/v1/analytics/usage?granularity=hour&from=2026-01-01T00:00:00Z&to=2026-03-01T00:00:00Z', 'from'],
      ['/v1/analytics/usage?granularity=day&from=2024-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['/v1/analytics/endpoints?from=2026-02-30T00:00:00Z', 'from'],
      ['/v1/analytics/endpoints?from=2026-01-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
    ];
    for (const [path, field] of cases) {
      const res = await get(path);
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/, path);
      assert.equal(res.body.type, 'https://hub.novaskin.dev/problems/validation-failed', path);
      assert.deepEqual(fields(res.body), [field], `${path}: ${res.text}`);
      assert.ok(res.body.requestId, path);
    }
  });

  it('pages through every key with the cursors of GET /v1/keys, and needs analytics:read', async () => {
    const admin = await createTestKey(api.app, { scopes: 'all', name: 'admin' });
    const all = (await callApi(api.url, 'GET', '/v1/keys?limit=200', admin)).body.data.map((k: any) => k.keyId);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/analytics/keys?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.body.data.length <= 2);
      seen.push(...res.body.data.map((k: any) => k.keyId));
      cursor = res.body.nextCursor;
    } while (cursor);
    assert.deepEqual(seen, all);
    const reader = await createTestKey(api.app, { scopes: ['catalog:read', 'keys:read'] });
    for (const path of ['/v1/analytics/keys', '/v1/analytics/usage', '/v1/analytics/endpoints']) {
      const denied = await get(path, reader);
      assert.equal(denied.status, 403, path);
      assert.equal(denied.body.requiredScope, 'analytics:read');
      assert.equal((await fetch(`${api.url}${path}`)).status, 401);
      assert.equal((await get(path, admin)).status, 200);
    }
    const doc: any = await (await fetch(`${api.url}/docs/openapi.json`, { headers: bearer(admin) })).json();
    for (const p of ['/v1/analytics/keys', '/v1/analytics/usage', '/v1/analytics/endpoints']) assert.ok(doc.paths[p]?.get, `${p} documented`);
  });
});
