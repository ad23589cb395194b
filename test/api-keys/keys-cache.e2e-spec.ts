import '../support/test-env';
import { Controller, Get, Module } from '@nestjs/common';
import { RequireScope } from '@hub/core';
import { ApiKeysService, HIST_EVERY_WRITES, KeyCacheService, latencyBucket, QuotaLeaseService, UsageRecorderService } from '@hub/api-keys';
import { DataSource } from 'typeorm';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';

@Controller('__cache_probe')
class ProbeController {
  @Get()
  @RequireScope('catalog:read')
  probe() {
    return { ok: true };
  }
}
@Module({ controllers: [ProbeController] })
class ProbeModule {}

const TTL_MS = 400;

/**
 * The guard keeps, with a key it remembers, the cached record that key verified against, and
 * skips the cache lookup while that record is still the cache's and within its TTL. These tests
 * pin the ways a held record must stop being used.
 */
describe('API key cache: records held by the guard', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const get = (key: string) => fetch(`${api.url}/__cache_probe`, { headers: bearer(key) });
  const keyIdOf = (key: string) => key.slice(9, 21);

  before(async () => {
    db = await createTestDatabase('keyscache');
    process.env.API_KEY_CACHE_TTL_MS = String(TTL_MS);
    api = await startApi({ extraModules: [ProbeModule] });
  });
  after(async () => {
    delete process.env.API_KEY_CACHE_TTL_MS;
    await api?.close();
    await db?.drop();
  });

  it('a change whose announcement never arrived applies once the TTL has passed', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    for (let i = 0; i < 3; i++) assert.equal((await get(key)).status, 200);
    // Revoked behind the service's back: no pub/sub announcement, as if it had been lost.
    await api.app.get(DataSource).query(`UPDATE api_keys SET revoked_at = now(), revoked_reason = 'lost announcement' WHERE key_id = $1`, [keyIdOf(key)]);
    const t0 = Date.now();
    await waitUntil(async () => (await get(key)).status === 401, 5_000, 20);
    assert.ok(Date.now() - t0 < TTL_MS + 1_500, `seen after ${Date.now() - t0} ms`);
  });

  it('an announced revocation applies to the very next request of a remembered key', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    for (let i = 0; i < 3; i++) assert.equal((await get(key)).status, 200);
    await api.app.get(ApiKeysService, { strict: false }).revoke(keyIdOf(key), 'test');
    const res = await get(key);
    assert.equal(res.status, 401);
    assert.match(String(((await res.json()) as { type: string }).type), /revoked-api-key$/);
  });

  it('a record loaded while an eviction raced is answered but marked dropped, so no one keeps it', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    const cache = api.app.get(KeyCacheService, { strict: false });
    cache.evict(keyIdOf(key));
    const loading = cache.load(keyIdOf(key));
    cache.evict(keyIdOf(key));
    const entry = await loading;
    assert.ok(entry);
    assert.equal(entry.dropped, true);
    assert.equal(cache.fresh(entry, Date.now()), false);
    assert.equal(cache.peek(keyIdOf(key), Date.now()), undefined, 'not cached either');
  });

  it('a refreshed record replaces the held one: the old copy is marked dropped', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    assert.equal((await get(key)).status, 200);
    const cache = api.app.get(KeyCacheService, { strict: false });
    const before = cache.peek(keyIdOf(key), Date.now());
    assert.ok(before);
    await waitUntil(async () => {
      await get(key);
      const now = cache.peek(keyIdOf(key), Date.now());
      return now !== undefined && now !== before;
    }, 5_000, 50);
    assert.equal(before.dropped, true);
  });

  it('a held quota lease given back while idle is not spent again: the next request leases anew', async () => {
    const quota = api.app.get(QuotaLeaseService, { strict: false });
    const returnIdle = (now: number) => (quota as unknown as { returnIdle(now: number): Promise<void> }).returnIdle(now);
    const limit = { limit: 30, period: 'month' as const };
    const holder: Parameters<QuotaLeaseService['take']>[3] = {};
    const t0 = Date.now();
    assert.ok((await quota.take('held-lease', limit, t0, holder)).ok);
    const first = holder!.lease!;
    assert.ok(first.tokens > 0);
    await returnIdle(t0 + 3_000);
    assert.equal(first.dead, true);
    const next = quota.take('held-lease', limit, t0 + 3_000, holder);
    assert.ok(next instanceof Promise, 'leases again from Redis instead of spending the returned units');
    assert.ok((await next).ok);
    assert.notEqual(holder!.lease, first);
  });

  /** A new key, the usage recorder, the database, and a holder like the guard's cached record. */
  const usageFixture = async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    const holder: Parameters<UsageRecorderService['record']>[4] = {};
    return { key, id: keyIdOf(key), usage: api.app.get(UsageRecorderService, { strict: false }), db: api.app.get(DataSource), holder };
  };

  it('usage recorded through a held cell after a flush lands in the next flush', async () => {
    const { key, usage, holder } = await usageFixture();
    const now = Date.now();
    usage.record(keyIdOf(key), 200, 3, now, holder);
    await usage.flush();
    usage.record(keyIdOf(key), 503, 4, now, holder);
    usage.record(keyIdOf(key), 200, 5, now, holder);
    await usage.flush();
    const [row] = await api.app.get(DataSource).query(`SELECT sum(requests)::int AS requests, sum(errors_5xx)::int AS e5 FROM api_key_usage_hourly WHERE key_id = $1`, [keyIdOf(key)]);
    assert.deepEqual(row, { requests: 3, e5: 1 });
  });

  it('latency histograms go out with every HIST_EVERY_WRITES-th timed write and with flush(), each request counted once', async (t) => {
    const { id, usage, db, holder } = await usageFixture();
    const read = async () =>
      (await db.query(`SELECT requests::int, (SELECT COALESCE(sum(b), 0)::int FROM unnest(latency_hist) b) AS in_hist FROM api_key_usage_hourly WHERE key_id = $1`, [id]))[0];
    // The test drives the timer's writes itself, from the start of a cycle.
    const timed = usage as unknown as { tick(): Promise<void>; ticks: number; timer: NodeJS.Timeout };
    clearInterval(timed.timer);
    t.after(() => usage.onModuleInit());
    await usage.flush();
    timed.ticks = 0;
    const tick = () => timed.tick();
    usage.record(id, 200, 3, Date.now(), holder);
    usage.record(id, 200, 40, Date.now(), holder);
    await tick();
    assert.deepEqual(await read(), { requests: 2, in_hist: 0 }, 'counts go out at once; the histogram waits');
    usage.record(id, 200, 5, Date.now(), holder);
    for (let i = 2; i < HIST_EVERY_WRITES; i++) await tick();
    assert.deepEqual(await read(), { requests: 3, in_hist: 0 });
    await tick();
    assert.deepEqual(await read(), { requests: 3, in_hist: 3 }, `the ${HIST_EVERY_WRITES}th write takes the histogram`);
    usage.record(id, 200, 7, Date.now(), holder);
    await usage.flush();
    assert.deepEqual(await read(), { requests: 4, in_hist: 4 }, 'flush() writes everything');
  });

  it('a busy key keeps its usage cell across writes: zeroed in place, each request written once, an hour gone by written and dropped', async () => {
    const { id, usage, db, holder } = await usageFixture();
    const hour = Date.now() - (Date.now() % 3_600_000);
    usage.record(id, 200, 3, hour + 1_000, holder);
    usage.record(id, 404, 2, hour + 1_000, holder);
    const cell = holder!.usage!;
    await usage.flush();
    assert.equal(holder!.usage, cell);
    assert.equal(cell.dead, false, 'still the live cell: the next request neither allocates nor inserts');
    assert.deepEqual([cell.requests, cell.e4, cell.latSum, cell.latMax], [0, 0, 0, 0], 'written counts are taken out');
    usage.record(id, 500, 9, hour + 2_000, holder);
    assert.equal(holder!.usage, cell);
    // The next hour: the old cell moves aside, is written once more, then leaves the map.
    usage.record(id, 200, 1, hour + 3_600_000, holder);
    assert.notEqual(holder!.usage, cell);
    await usage.flush();
    assert.equal(cell.dead, true);
    await usage.flush();
    const rows = await db.query(
      `SELECT extract(epoch FROM hour)::bigint * 1000 AS hour, requests::int, errors_4xx::int AS e4, errors_5xx::int AS e5, latency_ms_sum::float AS sum, latency_ms_max::float AS max
         FROM api_key_usage_hourly WHERE key_id = $1 ORDER BY hour`,
      [id],
    );
    assert.deepEqual(
      rows.map((r: Record<string, unknown>) => ({ ...r, hour: Number(r.hour) })),
      [
        { hour, requests: 3, e4: 1, e5: 1, sum: 14, max: 9 },
        { hour: hour + 3_600_000, requests: 1, e4: 0, e5: 0, sum: 1, max: 1 },
      ],
    );
  });

  it('the usage rollup leaves half of each page free, so the per-second counter updates stay HOT', async () => {
    const [row] = await api.app.get(DataSource).query(`SELECT reloptions FROM pg_class WHERE relname = 'api_key_usage_hourly'`);
    assert.deepEqual(row.reloptions, ['fillfactor=50']);
  });

  it('a usage write that fails is kept and written once by the next one; an idle key gives its cell up', async () => {
    const { id, usage, db, holder } = await usageFixture();
    usage.record(id, 200, 2, Date.now(), holder);
    usage.record(id, 200, 2, Date.now(), holder);
    const query = db.query.bind(db);
    let failed = 0;
    db.query = (async (text: string, params?: unknown[]) => {
      if (/INSERT INTO api_key_usage_hourly/.test(text) && failed++ === 0) throw new Error('injected: Postgres went away');
      return query(text, params);
    }) as typeof db.query;
    try {
      await usage.flush();
      assert.equal(failed, 1);
      // A slower request: its histogram span starts buckets later than the failed write's.
      usage.record(id, 200, 50, Date.now(), holder);
      await usage.flush();
    } finally {
      db.query = query;
    }
    const [row] = await db.query(`SELECT sum(requests)::int AS requests FROM api_key_usage_hourly WHERE key_id = $1`, [id]);
    assert.equal(row.requests, 3, 'the two of the failed write and the one after, each once');
    const [{ latency_hist: hist }] = await db.query(`SELECT latency_hist FROM api_key_usage_hourly WHERE key_id = $1`, [id]);
    const expected = new Array(latencyBucket(50) + 1).fill(0);
    expected[latencyBucket(2)] = 2;
    expected[latencyBucket(50)] = 1;
    assert.deepEqual(hist.map(Number), expected, 'the two histograms merged bucket by bucket');
    const cell = holder!.usage!;
    for (let i = 0; i < 60 && !cell.dead; i++) await usage.flush();
    assert.equal(cell.dead, true, 'a cell idle for 60 writes leaves the map');
    usage.record(id, 200, 2, Date.now(), holder);
    assert.notEqual(holder!.usage, cell);
  });

  it('records past their TTL are re-read together, keeping what they learnt (the verified secret)', async () => {
    const cache = api.app.get(KeyCacheService, { strict: false });
    const keys = await Promise.all(Array.from({ length: 40 }, () => createTestKey(api.app, { scopes: ['catalog:read'] })));
    for (const k of keys) assert.equal((await get(k)).status, 200);
    const loaded = keys.map((k) => cache.peek(keyIdOf(k), Date.now())!);
    await new Promise((r) => setTimeout(r, TTL_MS + 50));
    const lookups = cache.dbLookups;
    const queries = cache.refreshQueries;
    // Every key used again at once: all stale, served meanwhile, refreshed together.
    assert.deepEqual([...new Set((await Promise.all(keys.map(get))).map((r) => r.status))], [200]);
    await waitUntil(async () => keys.every((k, i) => cache.peek(keyIdOf(k), Date.now()) !== loaded[i]), 5_000, 10);
    // Requests arriving within REFRESH_GATHER_MS share a query: a few queries, not one per key (on
    // a busy machine the 40 requests can spread over several 20 ms windows; a full run saw 4).
    assert.ok(cache.refreshQueries - queries <= 8, `${cache.refreshQueries - queries} queries for 40 stale records`);
    assert.equal(cache.dbLookups, lookups, 'no per-key loads');
    for (const [i, k] of keys.entries()) {
      const fresh = cache.peek(keyIdOf(k), Date.now())!;
      assert.equal(loaded[i].dropped, true);
      assert.ok(fresh.verified !== undefined && fresh.verified === loaded[i].verified, 'the verified secret carries over');
    }
  });
});
