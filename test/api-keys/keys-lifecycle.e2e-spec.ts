import '../support/test-env';
import assert from 'node:assert/strict';
import { DataSource } from 'typeorm';
import { after, before, describe, it } from 'node:test';
import { CatalogProbeModule, callApi, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('API key lifecycle over HTTP (real Postgres and Redis)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;
  const call = (method: string, path: string, body?: unknown, key = admin) => callApi(api.url, method, path, key, body);
  const fields = (body: any) => (body.errors ?? []).map((e: any) => e.field);

  before(async () => {
    db = await createTestDatabase('keyslife');
    process.env.API_KEY_USAGE_FLUSH_MS = '200';
    process.env.API_KEY_LAST_USED_FLUSH_MS = '200';
    api = await startApi({ extraModules: [CatalogProbeModule] });
    admin = await createTestKey(api.app, { scopes: 'all', name: 'admin' });
  });
  after(async () => {
    delete process.env.API_KEY_USAGE_FLUSH_MS;
    delete process.env.API_KEY_LAST_USED_FLUSH_MS;
    await api?.close();
    await db?.drop();
  });

  it('creates a key, shows it once, and never returns the secret afterwards', async () => {
    const res = await call('POST', '/v1/keys', {
      name: 'Storefront web', environment: 'live', scopes: ['catalog:read'], tier: 'standard', channels: ['storefront'],
      allowedCidrs: ['127.0.0.1/32', '::1'], metadata: { team: 'web' }, application: 'storefront-next',
    });
    assert.equal(res.status, 201, res.text);
    const { key, keyId } = res.body;
    assert.match(key, /^nsk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
    assert.equal(key.slice(9, 21), keyId);
    assert.equal(res.body.status, 'active');
    assert.equal(res.body.start, key.slice(22, 26));
    assert.deepEqual(res.body.effectiveLimits, { burstPerSecond: 5, quota: { limit: 5000, period: 'month' } });
    assert.deepEqual(res.body.allowedCidrs, ['127.0.0.1/32', '::1/128']);
    const secret = key.slice(22, 54);
    const one = await call('GET', `/v1/keys/${keyId}`);
    assert.equal(one.status, 200);
    const list = await call('GET', '/v1/keys');
    assert.ok(list.body.data.some((k: any) => k.keyId === keyId));
    for (const t of [one.text, list.text]) {
      assert.ok(!t.includes(secret), 'secret leaked');
      assert.ok(!t.includes(secret.slice(4, 12)), 'part of the secret leaked');
      assert.doesNotMatch(t, /secret_hash|secretHash|"hash"/);
    }
    assert.equal((await call('GET', '/__keys_probe/catalog', undefined, key)).status, 200);
  });

  it('answers bad input with 400 naming each field', async () => {
    const base = { name: 'x', environment: 'live', scopes: ['catalog:read'], tier: 'free' };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...base, scopes: ['catalog:read', 'root'] }, 'scopes'],
      [{ ...base, scopes: [] }, 'scopes'],
      [{ ...base, tier: 'platinum' }, 'tier'],
      [{ ...base, environment: 'prod' }, 'environment'],
      [{ ...base, allowedCidrs: ['10.0.0.0/33'] }, 'allowedCidrs'],
      [{ ...base, allowedCidrs: ['not-an-ip'] }, 'allowedCidrs'],
      [{ ...base, expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ ...base, expiresAt: '2001-01-01T00:00:00Z' }, 'expiresAt'],
      [{ ...base, channels: ['ebay'] }, 'channels'],
      [{ ...base, limits: { burstPerSecond: 0 } }, 'limits.burstPerSecond'],
      [{ ...base, limits: { quota: { limit: 10, period: 'week' } } }, 'limits.quota.period'],
      [{ ...base, name: '' }, 'name'],
      [{ ...base, bogus: 1 }, 'bogus'],
      // An empty list would have been stored as null, which means every channel / any address.
      [{ ...base, channels: [] }, 'channels'],
      [{ ...base, allowedCidrs: [] }, 'allowedCidrs'],
      [{ ...base, limits: [] }, 'limits'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '/v1/keys', body);
      assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${res.status} ${res.text}`);
      assert.equal(res.headers.get('content-type')?.startsWith('application/problem+json'), true);
      assert.ok(fields(res.body).some((f: string) => f === field || f.startsWith(field + '.')), `${field} not in ${JSON.stringify(res.body.errors)}`);
    }
    const created = await call('POST', '/v1/keys', base);
    const id = created.body.keyId;
    for (const [body, field] of [[{ tier: 'x' }, 'tier'], [{ allowedCidrs: ['1.2.3.4/40'] }, 'allowedCidrs'], [{ expiresAt: '2000-01-01T00:00:00Z' }, 'expiresAt'], [{ scopes: ['nope'] }, 'scopes'], [{ channels: [] }, 'channels'], [{ allowedCidrs: [] }, 'allowedCidrs'], [{ limits: [] }, 'limits']] as const) {
      const res = await call('PATCH', `/v1/keys/${id}`, body);
      assert.equal(res.status, 400, res.text);
      assert.ok(fields(res.body).some((f: string) => f.startsWith(field)), res.text);
    }
    const usage = await call('GET', `/v1/keys/${id}/usage?granularity=minute`);
    assert.equal(usage.status, 400);
    assert.deepEqual(fields(usage.body), ['granularity']);
    const usage2 = await call('GET', `/v1/keys/${id}/usage?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`);
    assert.equal(usage2.status, 400);
    assert.deepEqual(fields(usage2.body), ['from']);
    assert.equal((await call('POST', `/v1/keys/${id}/rotate`, { overlapSeconds: -1 })).status, 400);
    assert.equal((await call('POST', `/v1/keys/${id}/revoke`, {})).status, 400);
    assert.equal((await call('GET', '/v1/keys/doesnotexist')).status, 404);
    assert.equal((await call('GET', '/v1/audit-events?from=yesterday')).status, 400);
  });

  it('refuses to grant scopes the calling key does not hold', async () => {
    const limited = (await call('POST', '/v1/keys', { name: 'key admin', environment: 'live', scopes: ['keys:write', 'keys:read'], tier: 'internal' })).body.key;
    const res = await call('POST', '/v1/keys', { name: 'x', environment: 'live', scopes: ['vault:write'], tier: 'free' }, limited);
    assert.equal(res.status, 403);
    assert.equal(res.body.requiredScope, 'vault:write');
  });

  it('patches scopes and limits with effect on the next request, and audits the change', async () => {
    const created = await call('POST', '/v1/keys', { name: 'reader', environment: 'test', scopes: ['orders:read'], tier: 'internal' });
    const { key, keyId } = created.body;
    assert.equal((await call('GET', '/__keys_probe/catalog', undefined, key)).status, 403);
    const patched = await call('PATCH', `/v1/keys/${keyId}`, { scopes: ['catalog:read'], limits: { burstPerSecond: 2 }, name: 'catalog reader' });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(patched.body.scopes, ['catalog:read']);
    const ok = await call('GET', '/__keys_probe/catalog', undefined, key);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get('ratelimit-policy'), '"burst";q=2;w=1');
    const audit = await call('GET', `/v1/audit-events?keyId=${keyId}&action=key.patched`);
    assert.equal(audit.status, 200);
    assert.equal(audit.body.data.length, 1);
    assert.deepEqual(audit.body.data[0].details.changes.scopes, { from: ['orders:read'], to: ['catalog:read'] });
    assert.equal(audit.body.data[0].actorKeyId, admin.slice(9, 21));
    assert.ok(audit.body.data[0].requestId);
  });

  it('rotates: both keys work during the overlap, the old one then expires, both records link', async () => {
    const created = await call('POST', '/v1/keys', { name: 'cron', environment: 'live', scopes: ['catalog:read'], tier: 'internal' });
    const oldKey = created.body.key;
    const oldId = created.body.keyId;
    const before = Date.now();
    const rotated = await call('POST', `/v1/keys/${oldId}/rotate`, { overlapSeconds: 2 });
    assert.equal(rotated.status, 201, rotated.text);
    const newKey = rotated.body.key;
    assert.notEqual(newKey, oldKey);
    assert.equal(rotated.body.rotatedFrom, oldId);
    assert.equal(rotated.body.previous.rotatedTo, rotated.body.keyId);
    const oldExpiry = Date.parse(rotated.body.previous.expiresAt);
    assert.ok(oldExpiry >= before + 1500 && oldExpiry <= Date.now() + 2500, rotated.body.previous.expiresAt);
    assert.equal(rotated.body.previous.status, 'expiring');
    assert.equal((await call('GET', '/__keys_probe/catalog', undefined, oldKey)).status, 200);
    assert.equal((await call('GET', '/__keys_probe/catalog', undefined, newKey)).status, 200);
    assert.equal((await call('POST', `/v1/keys/${oldId}/rotate`, {})).status, 409);
    await new Promise((r) => setTimeout(r, Math.max(0, oldExpiry - Date.now() + 30)));
    const expired = await call('GET', '/__keys_probe/catalog', undefined, oldKey);
    assert.equal(expired.status, 401);
    assert.ok(expired.body.type.endsWith('/expired-api-key'));
    assert.equal((await call('GET', '/__keys_probe/catalog', undefined, newKey)).status, 200);
    assert.equal((await call('GET', `/v1/keys/${oldId}`)).body.status, 'expired');
    const trail = await call('GET', `/v1/audit-events?keyId=${oldId}&action=key.rotated`);
    assert.equal(trail.body.data[0].details.rotatedTo, rotated.body.keyId);
  });

  it('rotation with the default overlap keeps the old key for 24 h', async () => {
    const created = await call('POST', '/v1/keys', { name: 'default overlap', environment: 'live', scopes: ['catalog:read'], tier: 'internal' });
    const rotated = await call('POST', `/v1/keys/${created.body.keyId}/rotate`, {});
    const exp = Date.parse(rotated.body.previous.expiresAt);
    assert.ok(Math.abs(exp - (Date.now() + 86_400_000)) < 10_000);
  });

  it('revokes with reason and actor, idempotently, and the key stops working at once', async () => {
    const created = await call('POST', '/v1/keys', { name: 'leaky', environment: 'live', scopes: ['catalog:read'], tier: 'internal' });
    const { key, keyId } = created.body;
    assert.equal((await call('GET', '/__keys_probe/catalog', undefined, key)).status, 200);
    const r = await call('POST', `/v1/keys/${keyId}/revoke`, { reason: 'leaked in CI logs' });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.status, 'revoked');
    assert.equal(r.body.revokedReason, 'leaked in CI logs');
    assert.equal(r.body.revokedBy, admin.slice(9, 21));
    const again = await call('POST', `/v1/keys/${keyId}/revoke`, { reason: 'other' });
    assert.equal(again.body.revokedReason, 'leaked in CI logs');
    const refused = await call('GET', '/__keys_probe/catalog', undefined, key);
    assert.equal(refused.status, 401);
    assert.ok(refused.body.type.endsWith('/revoked-api-key'));
    const audit = await call('GET', `/v1/audit-events?keyId=${keyId}`);
    const actions = audit.body.data.map((e: any) => e.action);
    assert.ok(actions.includes('key.revoked') && actions.includes('key.created'), actions.join());
    await waitUntil(async () => (await call('GET', `/v1/audit-events?keyId=${keyId}&action=key.auth-failed`)).body.data.length > 0, 5000);
    const failed = (await call('GET', `/v1/audit-events?keyId=${keyId}&action=key.auth-failed`)).body.data[0];
    assert.equal(failed.details.reason, 'revoked');
    assert.ok(failed.ip);
  });

  it('records usage, error counts and lastUsedAt asynchronously, per hour and per day', async () => {
    const created = await call('POST', '/v1/keys', { name: 'usage', environment: 'live', scopes: ['catalog:read', 'keys:read'], tier: 'internal' });
    const { key, keyId } = created.body;
    for (let i = 0; i < 7; i++) assert.equal((await call('GET', '/__keys_probe/catalog', undefined, key)).status, 200);
    for (let i = 0; i < 3; i++) assert.equal((await call('GET', '/v1/keys/doesnotexist', undefined, key)).status, 404);
    const rec = await waitUntil(async () => {
      const r = (await call('GET', `/v1/keys/${keyId}`)).body;
      return r.usage.requests >= 10 ? r : undefined;
    }, 5000);
    assert.deepEqual(rec.usage, { requests: 10, errors4xx: 3, errors5xx: 0 });
    assert.ok(Date.now() - Date.parse(rec.lastUsedAt) < 10_000);
    const hourly = await call('GET', `/v1/keys/${keyId}/usage?granularity=hour`);
    assert.equal(hourly.status, 200, hourly.text);
    assert.ok([24, 25].includes(hourly.body.data.length), String(hourly.body.data.length));
    const total = hourly.body.data.reduce((s: number, p: any) => s + p.requests, 0);
    assert.equal(total, 10);
    const cur = hourly.body.data.find((p: any) => p.requests > 0);
    assert.equal(cur.errors4xx, 3);
    assert.ok(cur.avgLatencyMs !== null && cur.maxLatencyMs >= cur.avgLatencyMs);
    const daily = await call('GET', `/v1/keys/${keyId}/usage?granularity=day&from=${new Date(Date.now() - 3 * 86_400_000).toISOString()}`);
    assert.equal(daily.body.data.reduce((s: number, p: any) => s + p.requests, 0), 10);
    // analytics:read alone may read usage too.
    const analyst = await createTestKey(api.app, { scopes: ['analytics:read'] });
    assert.equal((await call('GET', `/v1/keys/${keyId}/usage`, undefined, analyst)).status, 200);
    assert.equal((await call('GET', `/v1/keys/${keyId}`, undefined, analyst)).status, 403);
  });

  it('starts a usage series at the first whole bucket at or after `from`, so its first point is never a partial bucket read as empty', async () => {
    const created = await call('POST', '/v1/keys', { name: 'series', environment: 'live', scopes: ['catalog:read'], tier: 'internal' });
    const keyId = created.body.keyId;
    const HOUR = 3_600_000;
    const h = Math.floor(Date.now() / HOUR) * HOUR - 5 * HOUR;
    await api.app.get(DataSource).query(`INSERT INTO api_key_usage_hourly (key_id, hour, requests) VALUES ($1, $2, 7), ($1, $3, 2)`, [keyId, new Date(h), new Date(h + HOUR)]);
    const series = async (from: number, granularity = 'hour') =>
      (await call('GET', `/v1/keys/${keyId}/usage?granularity=${granularity}&from=${new Date(from).toISOString()}&to=${new Date(h + 3 * HOUR).toISOString()}`)).body.data;
    // From the hour's start: that hour, whole.
    assert.deepEqual((await series(h)).map((p: any) => [p.start, p.requests]), [
      [new Date(h).toISOString(), 7],
      [new Date(h + HOUR).toISOString(), 2],
      [new Date(h + 2 * HOUR).toISOString(), 0],
    ]);
    // From half past: the hour it started in is not whole, so the series starts at the next one.
    const mid = await series(h + HOUR / 2);
    assert.equal(mid[0].start, new Date(h + HOUR).toISOString());
    assert.equal(mid[0].requests, 2);
    assert.equal(mid.length, 2);
  });

  it('rotates into a new expiresAt when given one (null: never), and keeps the old one otherwise', async () => {
    const DAY = 86_400_000;
    const ends = new Date(Math.floor((Date.now() + 3 * DAY) / 1000) * 1000).toISOString();
    const created = await call('POST', '/v1/keys', { name: 'expiring', environment: 'live', scopes: ['catalog:read'], tier: 'internal', expiresAt: ends });
    assert.equal(created.body.status, 'expiring');
    const kept = await call('POST', `/v1/keys/${created.body.keyId}/rotate`, {});
    assert.equal(kept.body.expiresAt, ends);
    const next = new Date(Math.floor((Date.now() + 90 * DAY) / 1000) * 1000).toISOString();
    const moved = await call('POST', `/v1/keys/${kept.body.keyId}/rotate`, { expiresAt: next });
    assert.equal(moved.status, 201, moved.text);
    assert.equal(moved.body.expiresAt, next);
    assert.equal(moved.body.status, 'active');
    const never = await call('POST', `/v1/keys/${moved.body.keyId}/rotate`, { expiresAt: null });
    assert.equal(never.body.expiresAt, null);
    for (const bad of ['2001-01-01T00:00:00Z', '2027-W10', 'tomorrow']) {
      const res = await call('POST', `/v1/keys/${never.body.keyId}/rotate`, { expiresAt: bad });
      assert.equal(res.status, 400, `${bad}: ${res.text}`);
      assert.deepEqual(fields(res.body), ['expiresAt']);
    }
  });

  it('pages the key list and the audit trail with cursors', async () => {
    const page1 = await call('GET', '/v1/keys?limit=2');
    assert.equal(page1.body.data.length, 2);
    assert.ok(page1.body.nextCursor);
    const page2 = await call('GET', `/v1/keys?limit=2&cursor=${page1.body.nextCursor}`);
    assert.equal(page2.status, 200);
    assert.ok(!page2.body.data.some((k: any) => page1.body.data.some((j: any) => j.keyId === k.keyId)));
    assert.equal((await call('GET', '/v1/keys?cursor=%%%')).status, 400);
    const a1 = await call('GET', '/v1/audit-events?limit=2&action=key.created');
    assert.equal(a1.body.data.length, 2);
    const a2 = await call('GET', `/v1/audit-events?limit=2&action=key.created&cursor=${a1.body.nextCursor}`);
    assert.ok(Number(a2.body.data[0].id) < Number(a1.body.data[1].id));
  });
  it('documents the key endpoints, their failures and the rate-limit headers in OpenAPI', async () => {
    const doc: any = await (await fetch(`${api.url}/docs/openapi.json`)).json();
    const post = doc.paths['/v1/keys'].post;
    assert.ok(post.summary);
    assert.ok(post.responses['401'] && post.responses['403'] && post.responses['429']);
    assert.ok(post.responses['429'].headers['Retry-After'] && post.responses['429'].headers.RateLimit);
    assert.ok(post.security.some((s: any) => 'bearer' in s));
    const create = doc.components.schemas.CreateKeyDto;
    assert.deepEqual(create.properties.tier.enum, ['free', 'standard', 'gold', 'internal']);
    assert.ok(create.properties.scopes.items.enum.includes('analytics:read'));
    assert.ok(doc.paths['/v1/keys/{keyId}/usage'].get);
    assert.ok(doc.paths['/v1/audit-events'].get);

    // Nullable dates are strings, counts integers (a `string | null` property reflects as Object).
    const s = doc.components.schemas;
    for (const dto of ['CreateKeyDto', 'PatchKeyDto', 'RotateKeyDto']) {
      assert.equal(s[dto].properties.expiresAt.type, 'string', dto);
      assert.equal(s[dto].properties.expiresAt.format, 'date-time', dto);
    }
    assert.equal(s.PatchKeyDto.properties.expiresAt.nullable, true);
    assert.equal(s.RotateKeyDto.properties.expiresAt.nullable, true);
    assert.equal(s.RotateKeyDto.properties.overlapSeconds.type, 'integer');
    assert.equal(s.LimitsDto.properties.burstPerSecond.type, 'integer');
    assert.equal(s.QuotaDto.properties.limit.type, 'integer');
    assert.equal(s.QuotaDto.properties.limit.maximum, 1_000_000_000_000);
    for (const [prop, type] of [['expiresAt', 'string'], ['revokedReason', 'string'], ['lastUsedAt', 'string'], ['application', 'string']]) {
      assert.equal(s.ApiKeyRecordDto.properties[prop].type, type, `ApiKeyRecordDto.${prop}`);
    }
    // Every key route documents its 400, and every route of one key its 404.
    const routes: [string, string][] = [
      ['/v1/keys', 'post'], ['/v1/keys', 'get'], ['/v1/keys/{keyId}', 'get'], ['/v1/keys/{keyId}', 'patch'],
      ['/v1/keys/{keyId}/rotate', 'post'], ['/v1/keys/{keyId}/revoke', 'post'], ['/v1/keys/{keyId}/usage', 'get'], ['/v1/audit-events', 'get'],
    ];
    for (const [path, method] of routes) {
      const op = doc.paths[path][method];
      assert.match(op.responses['400']?.description ?? '', /`validation-failed`/, `${method} ${path} 400`);
      assert.match(op.responses['400'].description, /`bad-request`/, `${method} ${path} 400`);
      if (path.includes('{keyId}')) assert.match(op.responses['404']?.description ?? '', /`not-found`/, `${method} ${path} 404`);
      else assert.equal(op.responses['404'], undefined, `${method} ${path} has no path parameter`);
    }
    // The audit trail's page has a schema; rotate's body is optional.
    const audit = doc.paths['/v1/audit-events'].get.responses['200'].content['application/json'].schema;
    assert.equal(audit.$ref, '#/components/schemas/AuditEventListDto');
    assert.equal(s.AuditEventDto.properties.count.type, 'integer');
    assert.equal(s.AuditEventListDto.properties.nextCursor.type, 'string');
    const rotate = doc.paths['/v1/keys/{keyId}/rotate'].post;
    assert.equal(rotate.requestBody.required, false);
    assert.equal(rotate.requestBody.content['application/json'].schema.$ref, '#/components/schemas/RotateKeyDto');
  });

  it('rotates with no body at all, as OpenAPI says it may', async () => {
    const created = await call('POST', '/v1/keys', { name: 'no body', environment: 'live', scopes: ['catalog:read'], tier: 'internal' });
    const res = await fetch(`${api.url}/v1/keys/${created.body.keyId}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${admin}` } });
    assert.equal(res.status, 201, await res.clone().text());
    const body: any = await res.json();
    assert.ok(Math.abs(Date.parse(body.previous.expiresAt) - (Date.now() + 86_400_000)) < 10_000);
  });
});
