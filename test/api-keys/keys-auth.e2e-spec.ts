import '../support/test-env';
import { Body, Controller, Get, Logger, Module, Post } from '@nestjs/common';
import { assertChannelAllowed, CurrentKey, Public, RequireScope } from '@hub/core';
import type { AuthContext } from '@hub/core';
import { ApiKeysService, formatKey, KeyCacheService, QuotaLeaseService, UsageRecorderService } from '@hub/api-keys';
import { request as httpRequest } from 'node:http';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

@Controller('__keys_probe')
class ProbeController {
  @Get('catalog')
  @RequireScope('catalog:read')
  catalog(@CurrentKey() key: AuthContext) {
    return { keyId: key.keyId, channels: key.channels };
  }

  /** A 403 answered by the handler, after the guard admitted the request (and took its quota unit). */
  @Get('amazon')
  @RequireScope('catalog:read')
  amazon(@CurrentKey() key: AuthContext) {
    assertChannelAllowed(key, 'amazon');
    return { ok: true };
  }

  @Post('echo')
  @RequireScope('catalog:write')
  echo(@Body() body: unknown) {
    return { body };
  }

  @Get('open')
  @Public()
  open() {
    return { ok: true };
  }
}
@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('API key guard: every CONTRACT failure (real Postgres and Redis)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${api.url}${path}`, { headers });

  before(async () => {
    db = await createTestDatabase('keysauth');
    api = await startApi({ extraModules: [ProbeModule] });
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  const problem = async (res: Response, status: number, slug: string) => {
    assert.equal(res.status, status, `expected ${status} ${slug}, got ${res.status}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body: any = await res.json();
    assert.ok(String(body.type).endsWith('/' + slug), `type ${body.type} should end with ${slug}`);
    assert.equal(body.status, status);
    assert.equal(body.requestId, res.headers.get('x-request-id'));
    return body;
  };

  it('lets a public route through without a key and refuses a scoped one with missing-api-key', async () => {
    assert.equal((await get('/__keys_probe/open')).status, 200);
    await problem(await get('/__keys_probe/catalog'), 401, 'missing-api-key');
  });

  it('accepts a valid key in Authorization or X-API-Key and exposes the caller', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], channels: ['storefront'] });
    const a = await get('/__keys_probe/catalog', bearer(key));
    assert.equal(a.status, 200);
    const body: any = await a.json();
    assert.equal(body.keyId, key.slice(9, 21));
    assert.deepEqual(body.channels, ['storefront']);
    assert.equal((await get('/__keys_probe/catalog', { 'x-api-key': key })).status, 200);
    assert.match(a.headers.get('ratelimit-policy') ?? '', /^"burst";q=200;w=1$/);
    assert.match(a.headers.get('ratelimit') ?? '', /^"burst";r=\d+;t=1$/);
  });

  it('answers malformed, bad-checksum, unknown-keyId and wrong-secret keys with one identical body (requestId aside)', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    const keyId = key.slice(9, 21);
    const secret = key.slice(22, 54);
    const wrongSecret = formatKey('test', keyId, secret.slice(0, -1) + (secret.endsWith('a') ? 'b' : 'a'));
    const unknown = formatKey('test', 'ZZZZZZZZZZZZ', secret);
    const badChecksum = key.slice(0, -1) + (key.endsWith('0') ? '1' : '0');
    const bodies: string[] = [];
    for (const k of ['garbage', badChecksum, unknown, wrongSecret, `nsk_live_${keyId}_${secret}000000`]) {
      const res = await get('/__keys_probe/catalog', bearer(k));
      const body = await problem(res, 401, 'invalid-api-key');
      delete body.requestId;
      bodies.push(JSON.stringify(body));
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="novaskin-hub"');
    }
    assert.equal(new Set(bodies).size, 1, bodies.join('\n'));
  });

  it('rejects a bad checksum without touching Postgres', async () => {
    const cache = api.app.get(KeyCacheService, { strict: false });
    const before = cache.dbLookups;
    const key = formatKey('live', 'AAAAAAAAAAAA', 'B'.repeat(32));
    const bad = key.slice(0, -6) + (key.slice(-6) === '000000' ? '000001' : '000000');
    for (let i = 0; i < 20; i++) await problem(await get('/__keys_probe/catalog', bearer(bad)), 401, 'invalid-api-key');
    assert.equal(cache.dbLookups, before);
  });

  it('names the missing scope with insufficient-scope', async () => {
    const key = await createTestKey(api.app, { scopes: ['orders:read'] });
    const body = await problem(await get('/__keys_probe/catalog', bearer(key)), 403, 'insufficient-scope');
    assert.equal(body.requiredScope, 'catalog:read');
    assert.match(body.detail, /catalog:read/);
  });

  it("counts the guard's 403s (insufficient-scope, ip-not-allowed) as the key's 4xx errors", async () => {
    const key = await createTestKey(api.app, { scopes: ['orders:read'] });
    const fenced = await createTestKey(api.app, { scopes: ['catalog:read'], allowedCidrs: ['192.0.2.0/24'] });
    for (let i = 0; i < 3; i++) await problem(await get('/__keys_probe/catalog', bearer(key)), 403, 'insufficient-scope');
    for (let i = 0; i < 2; i++) await problem(await get('/__keys_probe/catalog', bearer(fenced)), 403, 'ip-not-allowed');
    await api.app.get(UsageRecorderService, { strict: false }).flush();
    // The hourly rows (the key records' totals follow every API_KEY_LAST_USED_FLUSH_MS).
    const ds = api.app.get(DataSource);
    const counts = async (k: string) =>
      (await ds.query(`SELECT sum(requests)::int AS r, sum(errors_4xx)::int AS e4, sum(errors_5xx)::int AS e5 FROM api_key_usage_hourly WHERE key_id = $1`, [k.slice(9, 21)]))[0];
    assert.deepEqual(await counts(key), { r: 3, e4: 3, e5: 0 });
    assert.deepEqual(await counts(fenced), { r: 2, e4: 2, e5: 0 });
  });
  it('refuses a key after its expiry, to the second, with expired-api-key', async () => {
    const expiresAt = new Date(Date.now() + 1500);
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], expiresAt });
    assert.equal((await get('/__keys_probe/catalog', bearer(key))).status, 200);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() - Date.now() - 400)));
    assert.equal((await get('/__keys_probe/catalog', bearer(key))).status, 200, 'still valid just before expiry');
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt.getTime() - Date.now() + 20)));
    const body = await problem(await get('/__keys_probe/catalog', bearer(key)), 401, 'expired-api-key');
    assert.match(body.detail, new RegExp(expiresAt.toISOString().slice(0, 19)));
  });

  it('refuses a revoked key with revoked-api-key, but only when the secret matched', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    assert.equal((await get('/__keys_probe/catalog', bearer(key))).status, 200);
    await api.app.get(ApiKeysService, { strict: false }).revoke(key.slice(9, 21), 'test');
    await problem(await get('/__keys_probe/catalog', bearer(key)), 401, 'revoked-api-key');
    const secret = key.slice(22, 54);
    const wrong = formatKey('test', key.slice(9, 21), secret.slice(0, -1) + (secret.endsWith('x') ? 'y' : 'x'));
    await problem(await get('/__keys_probe/catalog', bearer(wrong)), 401, 'invalid-api-key');
  });

  it('refuses a revoked key even when the database clock runs ahead of this host (revoked_at in the future)', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    const keyId = key.slice(9, 21);
    // revoked_at is the database's now(); a database ahead of this host by a minute looks like this.
    await api.app.get(DataSource).query(`UPDATE api_keys SET revoked_at = now() + interval '1 minute', revoked_reason = 'skew' WHERE key_id = $1`, [keyId]);
    api.app.get(KeyCacheService, { strict: false }).evict(keyId);
    await problem(await get('/__keys_probe/catalog', bearer(key)), 401, 'revoked-api-key');
  });

  it('limits bursts: 20 requests at once on a 5/s key admit about 5, the rest get 429 rate-limited with Retry-After', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], limits: { burstPerSecond: 5 } });
    const res = await Promise.all(Array.from({ length: 20 }, () => get('/__keys_probe/catalog', bearer(key))));
    const ok = res.filter((r) => r.status === 200);
    const limited = res.filter((r) => r.status === 429);
    assert.equal(ok.length + limited.length, 20);
    assert.ok(ok.length >= 5 && ok.length <= 6, `admitted ${ok.length}`);
    for (const r of limited) {
      assert.ok(Number(r.headers.get('retry-after')) >= 1);
      await problem(r, 429, 'rate-limited');
    }
    assert.equal(ok[0].headers.get('ratelimit-policy'), '"burst";q=5;w=1');
    // Each admitted request sees its own remaining count, 4 down to 0 (the header value is memoised per key).
    const remaining = new Set(ok.map((r) => Number(/^"burst";r=(\d+);t=1$/.exec(r.headers.get('ratelimit') ?? '')?.[1])));
    for (const r of [0, 1, 2, 3, 4]) assert.ok(remaining.has(r), `remaining counts seen: ${[...remaining].join(', ')}`);
  });

  it('enforces a quota with quota-exceeded, Retry-After until the period ends, and RateLimit headers', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], limits: { quota: { limit: 3, period: 'day' } } });
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 5; i++) {
      last = await get('/__keys_probe/catalog', bearer(key));
      statuses.push(last.status);
      if (i === 0) {
        assert.equal(last.headers.get('ratelimit-policy'), '"burst";q=200;w=1, "daily";q=500;w=86400'.replace('q=500', 'q=3'));
        assert.match(last.headers.get('ratelimit') ?? '', /"daily";r=2;t=\d+$/);
      }
      if (last.status === 429) break;
    }
    assert.deepEqual(statuses, [200, 200, 200, 429]);
    const retry = Number(last!.headers.get('retry-after'));
    const now = new Date();
    const endOfDay = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
    assert.ok(Math.abs(retry - (endOfDay - Date.now()) / 1000) < 5, `Retry-After ${retry}`);
    await problem(last!, 429, 'quota-exceeded');
  });

  it('does not count 401/403 refusals against the quota', async () => {
    const key = await createTestKey(api.app, { scopes: ['orders:read'], limits: { quota: { limit: 2, period: 'day' } } });
    for (let i = 0; i < 5; i++) await problem(await get('/__keys_probe/catalog', bearer(key)), 403, 'insufficient-scope');
    await api.app.get(ApiKeysService, { strict: false }).patch(key.slice(9, 21), { scopes: ['catalog:read'] });
    assert.equal((await get('/__keys_probe/catalog', bearer(key))).status, 200);
    assert.equal((await get('/__keys_probe/catalog', bearer(key))).status, 200);
    await problem(await get('/__keys_probe/catalog', bearer(key)), 429, 'quota-exceeded');
  });

  it('gives the quota unit back when the handler, not the guard, answers 403', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read', 'keys:write'], channels: ['nykaa'], limits: { quota: { limit: 2, period: 'day' } } });
    for (let i = 0; i < 4; i++) await problem(await get('/__keys_probe/amazon', bearer(key)), 403, 'channel-not-allowed');
    // The /v1/keys handler's own refusal: granting a scope the key does not hold.
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${api.url}/v1/keys`, {
        method: 'POST',
        headers: { ...bearer(key), 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'x', environment: 'test', scopes: ['vault:write'], tier: 'free', channels: ['nykaa'] }),
      });
      await problem(res, 403, 'insufficient-scope');
    }
    const first = await get('/__keys_probe/catalog', bearer(key));
    assert.equal(first.status, 200);
    assert.match(first.headers.get('ratelimit') ?? '', /"daily";r=1;/);
    assert.equal((await get('/__keys_probe/catalog', bearer(key))).status, 200);
    await problem(await get('/__keys_probe/catalog', bearer(key)), 429, 'quota-exceeded');
  });

  it('a refunded unit whose local lease is gone goes back to the shared Redis counter', async () => {
    const quota = api.app.get(QuotaLeaseService, { strict: false });
    const q = { limit: 1, period: 'day' as const };
    const d = await quota.take('refundrediskey', q, Date.now());
    assert.ok(d.ok);
    const periodId = d.periodId;
    quota.forget('refundrediskey');
    quota.refund('refundrediskey', periodId);
    assert.equal((await quota.take('refundrediskey', q, Date.now())).ok, true);
    assert.equal((await quota.take('refundrediskey', q, Date.now())).ok, false);
  });

  it('keeps the lease of a key with plenty of quota through a short pause, and gives back one near its end', async () => {
    const quota = api.app.get(QuotaLeaseService, { strict: false });
    const returnIdle = (now: number) => (quota as unknown as { returnIdle(now: number): Promise<void> }).returnIdle(now);
    const big = { limit: 1_000_000, period: 'month' as const };
    const small = { limit: 30, period: 'month' as const };
    const t0 = Date.now();
    assert.ok((await quota.take('idle-big', big, t0)).ok);
    assert.ok((await quota.take('idle-small', small, t0)).ok);
    await returnIdle(t0 + 3_000);
    // Still leased: answered from the local lease, no Redis call.
    const kept = quota.take('idle-big', big, t0 + 3_000);
    assert.ok(!(kept instanceof Promise) && kept.ok, 'a 1,000,000 quota keeps its lease through a 3 s pause');
    // Given back after 2 s idle (its units are a large part of what is left): leasing again waits on Redis.
    const again = quota.take('idle-small', small, t0 + 3_000);
    assert.ok(again instanceof Promise, 'a nearly spent quota gives its units back after 2 s idle');
    assert.ok((await again).ok);
    await returnIdle(t0 + 3_000 + 31_000);
    assert.ok(quota.take('idle-big', big, t0 + 34_000) instanceof Promise, 'any lease goes back after 30 s idle');
  });

  it('pauses a key that keeps hammering past its burst with abnormal-usage-detected', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'], limits: { burstPerSecond: 1 } });
    let tripped: Response | undefined;
    for (let i = 0; i < 300 && !tripped; i++) {
      const r = await get('/__keys_probe/catalog', bearer(key));
      if (r.status === 429 && (await r.clone().json() as any).type.endsWith('/abnormal-usage-detected')) tripped = r;
    }
    assert.ok(tripped, 'breaker never opened');
    assert.ok(Number(tripped.headers.get('retry-after')) > 1);
    // Like every authenticated answer, it carries both RateLimit headers.
    assert.equal(tripped.headers.get('ratelimit-policy'), '"burst";q=1;w=1');
    assert.equal(tripped.headers.get('ratelimit'), `"burst";r=0;t=${tripped.headers.get('retry-after')}`);
    await new Promise((r) => setTimeout(r, 1100));
    await problem(await get('/__keys_probe/catalog', bearer(key)), 429, 'abnormal-usage-detected');
  });

  const raw = (headers: Record<string, string | string[]>) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const u = new URL(`${api.url}/__keys_probe/catalog`);
      const req = httpRequest({ host: u.hostname, port: u.port, path: u.pathname, headers }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it('answers duplicated or oversized auth headers with 400/401, never 500', async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    const other = await createTestKey(api.app, { scopes: ['catalog:read'] });
    // Both keys verified once first: the guard then remembers their headers, and the checks
    // below must still run before that shortcut.
    for (const k of [key, other]) {
      assert.equal((await raw({ authorization: `Bearer ${k}` })).status, 200);
      assert.equal((await raw({ 'x-api-key': k })).status, 200);
    }
    const dupAuth = await raw({ authorization: [`Bearer ${key}`, `Bearer ${other}`] });
    assert.equal(dupAuth.status, 400);
    assert.match(JSON.parse(dupAuth.body).errors[0].field, /Authorization/);
    const dupX = await raw({ 'x-api-key': [key, key] });
    assert.equal(dupX.status, 400);
    assert.equal(JSON.parse(dupX.body).errors[0].field, 'X-API-Key');
    const conflicting = await raw({ authorization: `Bearer ${key}`, 'x-api-key': other });
    assert.equal(conflicting.status, 400);
    assert.equal(JSON.parse(conflicting.body).errors[0].field, 'X-API-Key');
    const agreeing = await raw({ authorization: `Bearer ${key}`, 'x-api-key': key });
    assert.equal(agreeing.status, 200);
    for (const h of [{ authorization: 'Bearer ' + 'A'.repeat(6000) } as Record<string, string>, { 'x-api-key': key + 'x'.repeat(3000) }, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }, { authorization: 'Bearer' }, { authorization: `Bearer ${key} extra` }]) {
      const r = await raw(h);
      assert.equal(r.status, 401, JSON.stringify(h).slice(0, 80));
      assert.ok(JSON.parse(r.body).type.endsWith('/invalid-api-key'));
    }
    const huge = await raw({ authorization: 'Bearer ' + 'A'.repeat(70_000) });
    assert.ok(huge.status >= 400 && huge.status < 500, `status ${huge.status}`);
  });

  it("accepts only CONTRACT's two forms, whatever this instance has seen: Authorization: Bearer <key> and X-API-Key: <key>", async () => {
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    const wrongForms: Record<string, string>[] = [{ 'x-api-key': `Bearer ${key}` }, { authorization: key }];
    for (const h of wrongForms) assert.equal((await raw(h)).status, 401, `before: ${JSON.stringify(h).slice(0, 40)}`);
    // Both right forms verified (and remembered by the guard), the wrong ones must still be refused.
    assert.equal((await raw({ authorization: `Bearer ${key}` })).status, 200);
    assert.equal((await raw({ 'x-api-key': key })).status, 200);
    for (const h of wrongForms) {
      const r = await raw(h);
      assert.equal(r.status, 401, `after: ${JSON.stringify(h).slice(0, 40)}`);
      assert.ok(JSON.parse(r.body).type.endsWith('/invalid-api-key'));
    }
  });
  it('looks an uncached key up once for many concurrent requests, and an unknown keyId once per negative-cache period', async () => {
    const cache = api.app.get(KeyCacheService, { strict: false });
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    let before = cache.dbLookups;
    const res = await Promise.all(Array.from({ length: 20 }, () => get('/__keys_probe/catalog', bearer(key))));
    assert.ok(res.every((r) => r.status === 200));
    assert.equal(cache.dbLookups - before, 1, 'single-flight');
    const unknown = formatKey('live', 'UnknownKey42', 'c'.repeat(32));
    before = cache.dbLookups;
    for (let i = 0; i < 10; i++) await problem(await get('/__keys_probe/catalog', bearer(unknown)), 401, 'invalid-api-key');
    assert.equal(cache.dbLookups - before, 1, 'negative cache');
  });

  it('checks the key before reading the body: a refused request is answered 401/403 whatever its body, an admitted one 400 for bad JSON', async () => {
    const writer = await createTestKey(api.app, { scopes: ['catalog:write'] });
    const reader = await createTestKey(api.app, { scopes: ['catalog:read'] });
    const unknown = formatKey('test', 'NoSuchKey123', 'd'.repeat(32));
    const post = (key: string) => fetch(`${api.url}/__keys_probe/echo`, { method: 'POST', headers: { ...bearer(key), 'content-type': 'application/json' }, body: '{"not json' });
    await problem(await post(unknown), 401, 'invalid-api-key');
    await problem(await post(reader), 403, 'insufficient-scope');
    const bad = await post(writer);
    assert.equal(bad.status, 400);
    assert.match(bad.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const ok = await fetch(`${api.url}/__keys_probe/echo`, { method: 'POST', headers: { ...bearer(writer), 'content-type': 'application/json' }, body: '{"a":1}' });
    assert.equal(ok.status, 201);
    assert.deepEqual(await ok.json(), { body: { a: 1 } });
  });

  it('answers a key lookup that fails (Postgres unreachable) through the exception filter, as problem+json with the requestId', async () => {
    const cache = api.app.get(KeyCacheService, { strict: false });
    const key = await createTestKey(api.app, { scopes: ['catalog:read'] });
    cache.evict(key.slice(9, 21));
    const load = cache.load;
    const failure = new Error('connect ECONNREFUSED 127.0.0.1:5432');
    cache.load = () => Promise.reject(failure);
    // The exception filter logs a 5xx with its cause; the answer must come from there (a hook that
    // answered such an error itself would leave no trace of it).
    const logged: unknown[] = [];
    const logError = Logger.prototype.error;
    Logger.prototype.error = function (this: Logger, message: unknown, ...rest: unknown[]) {
      logged.push(message);
      return logError.call(this, message, ...(rest as [string]));
    };
    try {
      const res = await get('/__keys_probe/catalog', bearer(key));
      assert.ok(res.status >= 500, `status ${res.status}`);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const body: any = await res.json();
      assert.equal(body.requestId, res.headers.get('x-request-id'));
      assert.doesNotMatch(JSON.stringify(body), /ECONNREFUSED/);
      assert.ok(logged.some((m) => (m as { err?: unknown })?.err === failure), 'logged by the exception filter with its cause');
    } finally {
      cache.load = load;
      Logger.prototype.error = logError;
    }
    assert.equal((await get('/__keys_probe/catalog', bearer(key))).status, 200);
  });
});
