import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CatalogProbeModule, callApi, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('A key can never mint or control more than it has (POST/PATCH/rotate/revoke /v1/keys)', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let admin: string;
  const idOf = (key: string) => key.slice(9, 21);
  const call = (method: string, path: string, body?: unknown, key = admin) => callApi(api.url, method, path, key, body);
  const refused = (res: Awaited<ReturnType<typeof call>>, status: number, slug: string) => {
    assert.equal(res.status, status, res.text);
    assert.ok(res.headers.get('content-type')?.startsWith('application/problem+json'), res.text);
    assert.equal(res.body.type, `https://hub.novaskin.dev/problems/${slug}`, res.text);
  };
  const base = { environment: 'live', tier: 'free' } as const;

  before(async () => {
    db = await createTestDatabase('keysgrant');
    api = await startApi({ extraModules: [CatalogProbeModule] });
    admin = await createTestKey(api.app, { scopes: 'all', name: 'admin' });
  });
  after(async () => {
    await api?.close();
    await db?.drop();
  });

  it('a keys:write delegate cannot rotate, patch or revoke a key holding scopes it lacks (the admin key)', async () => {
    const delegate = await createTestKey(api.app, { scopes: ['keys:write', 'keys:read'], name: 'delegate' });
    const rot = await call('POST', `/v1/keys/${idOf(admin)}/rotate`, {}, delegate);
    refused(rot, 403, 'insufficient-scope');
    assert.ok(!('key' in rot.body), 'a key was minted');
    assert.ok(rot.body.requiredScope);
    refused(await call('PATCH', `/v1/keys/${idOf(admin)}`, { name: 'mine now' }, delegate), 403, 'insufficient-scope');
    refused(await call('PATCH', `/v1/keys/${idOf(admin)}`, { scopes: ['keys:read'] }, delegate), 403, 'insufficient-scope');
    refused(await call('POST', `/v1/keys/${idOf(admin)}/revoke`, { reason: 'takeover' }, delegate), 403, 'insufficient-scope');
    const rec = (await call('GET', `/v1/keys/${idOf(admin)}`)).body;
    assert.equal(rec.rotatedTo, null);
    assert.equal(rec.name, 'admin');
    assert.equal(rec.status, 'active');
    assert.equal(rec.scopes.length, 13);
    // Keys within its grant it may control.
    const own = await call('POST', '/v1/keys', { ...base, name: 'sub', scopes: ['keys:read'] }, delegate);
    assert.equal(own.status, 201, own.text);
    assert.equal((await call('PATCH', `/v1/keys/${own.body.keyId}`, { name: 'sub 2' }, delegate)).status, 200);
    const rotated = await call('POST', `/v1/keys/${own.body.keyId}/rotate`, { overlapSeconds: 60 }, delegate);
    assert.equal(rotated.status, 201, rotated.text);
    assert.equal((await call('POST', `/v1/keys/${rotated.body.keyId}/revoke`, { reason: 'done' }, delegate)).status, 200);
  });

  it('a key bound to addresses or an end date cannot mint, widen or rotate into a key without them', async () => {
    const DAY = 86_400_000;
    const ends = new Date(Date.now() + 7 * DAY);
    const bound = await createTestKey(api.app, { scopes: ['keys:write', 'keys:read', 'catalog:read'], allowedCidrs: ['127.0.0.0/8', '::1/128'], expiresAt: ends, name: 'bound admin' });
    const later = new Date(Date.now() + 30 * DAY).toISOString();
    const soon = new Date(Date.now() + DAY).toISOString();
    const mk = (extra: Record<string, unknown>) => call('POST', '/v1/keys', { ...base, name: 'minted', scopes: ['catalog:read'], ...extra }, bound);
    // Created: any address, or a wider network, or no end, or a later one.
    refused(await mk({ expiresAt: soon }), 403, 'cidrs-not-allowed');
    refused(await mk({ allowedCidrs: ['126.0.0.0/7'], expiresAt: soon }), 403, 'cidrs-not-allowed');
    refused(await mk({ allowedCidrs: ['10.0.0.0/8'], expiresAt: soon }), 403, 'cidrs-not-allowed');
    refused(await mk({ allowedCidrs: ['127.0.0.1'] }), 403, 'expiry-not-allowed');
    const tooLate = await mk({ allowedCidrs: ['127.0.0.1'], expiresAt: later });
    refused(tooLate, 403, 'expiry-not-allowed');
    assert.equal(tooLate.body.field, 'expiresAt');
    // Within both: allowed.
    const inside = await mk({ allowedCidrs: ['127.0.0.1', '::1'], expiresAt: soon });
    assert.equal(inside.status, 201, inside.text);
    const id = inside.body.keyId;
    // Widened by a change: refused; renamed or narrowed: allowed.
    refused(await call('PATCH', `/v1/keys/${id}`, { allowedCidrs: null }, bound), 403, 'cidrs-not-allowed');
    refused(await call('PATCH', `/v1/keys/${id}`, { expiresAt: null }, bound), 403, 'expiry-not-allowed');
    refused(await call('PATCH', `/v1/keys/${id}`, { expiresAt: later }, bound), 403, 'expiry-not-allowed');
    assert.equal((await call('PATCH', `/v1/keys/${id}`, { name: 'renamed', allowedCidrs: ['127.0.0.1'] }, bound)).status, 200);
    // Rotated into a key that outlives the caller: refused; within: allowed, and the new key keeps the old end.
    refused(await call('POST', `/v1/keys/${id}/rotate`, { expiresAt: null }, bound), 403, 'expiry-not-allowed');
    const rot = await call('POST', `/v1/keys/${id}/rotate`, {}, bound);
    assert.equal(rot.status, 201, rot.text);
    assert.equal(rot.body.expiresAt, new Date(soon).toISOString());
    // An unrestricted key minted by the admin can be renamed by the bound key, but not rotated (that mints one like it).
    const open = await call('POST', '/v1/keys', { ...base, name: 'open', scopes: ['catalog:read'] });
    assert.equal((await call('PATCH', `/v1/keys/${open.body.keyId}`, { name: 'open 2' }, bound)).status, 200);
    refused(await call('POST', `/v1/keys/${open.body.keyId}/rotate`, {}, bound), 403, 'cidrs-not-allowed');
    assert.equal((await call('POST', `/v1/keys/${open.body.keyId}/revoke`, { reason: 'not needed' }, bound)).status, 200);
  });

  it('a channel-bound key cannot rotate, patch or revoke an unbound key, nor unbind one', async () => {
    const bound = await createTestKey(api.app, { scopes: 'all', channels: ['amazon'], name: 'amazon admin' });
    const unbound = await createTestKey(api.app, { scopes: ['catalog:read'], name: 'unbound' });
    refused(await call('POST', `/v1/keys/${idOf(unbound)}/rotate`, {}, bound), 403, 'channel-not-allowed');
    refused(await call('PATCH', `/v1/keys/${idOf(unbound)}`, { name: 'x' }, bound), 403, 'channel-not-allowed');
    refused(await call('POST', `/v1/keys/${idOf(unbound)}/revoke`, { reason: 'x' }, bound), 403, 'channel-not-allowed');
    const amazonOnly = await createTestKey(api.app, { scopes: ['catalog:read'], channels: ['amazon'] });
    refused(await call('PATCH', `/v1/keys/${idOf(amazonOnly)}`, { channels: null }, bound), 403, 'channel-not-allowed');
    refused(await call('PATCH', `/v1/keys/${idOf(amazonOnly)}`, { channels: ['amazon', 'nykaa'] }, bound), 403, 'channel-not-allowed');
    const ok = await call('POST', `/v1/keys/${idOf(amazonOnly)}/rotate`, {}, bound);
    assert.equal(ok.status, 201, ok.text);
    assert.deepEqual(ok.body.channels, ['amazon']);
  });

  it('tiers: a caller assigns at most its own tier, and cannot control a key above it', async () => {
    // burst 50 so the test itself is not rate-limited; the quota stays the tier's 5,000 a month.
    const std = await createTestKey(api.app, { scopes: 'all', tier: 'standard', name: 'standard admin', limits: { burstPerSecond: 50 } });
    for (const tier of ['gold', 'internal']) {
      const res = await call('POST', '/v1/keys', { ...base, name: 't', scopes: ['catalog:read'], tier }, std);
      refused(res, 403, 'tier-not-allowed');
      assert.equal(res.body.field, 'tier');
    }
    for (const tier of ['free', 'standard']) assert.equal((await call('POST', '/v1/keys', { ...base, name: 't', scopes: ['catalog:read'], tier }, std)).status, 201);
    // Not itself either.
    refused(await call('PATCH', `/v1/keys/${idOf(std)}`, { tier: 'internal' }, std), 403, 'tier-not-allowed');
    assert.equal((await call('GET', `/v1/keys/${idOf(std)}`)).body.tier, 'standard');
    const gold = await createTestKey(api.app, { scopes: ['catalog:read'], tier: 'gold' });
    refused(await call('POST', `/v1/keys/${idOf(gold)}/rotate`, {}, std), 403, 'tier-not-allowed');
    refused(await call('PATCH', `/v1/keys/${idOf(gold)}`, { tier: 'free' }, std), 403, 'tier-not-allowed');
  });

  it('limits: overrides above the caller\'s own effective limits are refused unless the caller is internal', async () => {
    // burst 50 so the test itself is not rate-limited; the quota stays the tier's 5,000 a month.
    const std = await createTestKey(api.app, { scopes: 'all', tier: 'standard', name: 'standard admin', limits: { burstPerSecond: 50 } });
    const cases: [Record<string, unknown>, string][] = [
      [{ burstPerSecond: 51 }, 'limits.burstPerSecond'],
      [{ quota: null }, 'limits.quota'],
      [{ quota: { limit: 5001, period: 'month' } }, 'limits.quota'],
      [{ quota: { limit: 200, period: 'day' } }, 'limits.quota'], // 31 x 200 > 5,000 a month
    ];
    for (const [limits, field] of cases) {
      const res = await call('POST', '/v1/keys', { ...base, name: 'l', scopes: ['catalog:read'], tier: 'free', limits }, std);
      refused(res, 403, 'limits-not-allowed');
      assert.equal(res.body.field, field, res.text);
    }
    // A key cannot lift its own limits either.
    refused(await call('PATCH', `/v1/keys/${idOf(std)}`, { limits: { quota: null } }, std), 403, 'limits-not-allowed');
    const within = await call('POST', '/v1/keys', { ...base, name: 'l', scopes: ['catalog:read'], limits: { burstPerSecond: 50, quota: { limit: 100, period: 'day' } } }, std);
    assert.equal(within.status, 201, within.text);
    const big = await createTestKey(api.app, { scopes: ['catalog:read'], tier: 'standard', limits: { burstPerSecond: 1000 } });
    refused(await call('POST', `/v1/keys/${idOf(big)}/rotate`, {}, std), 403, 'limits-not-allowed');
    // internal may set anything.
    const anything = await call('POST', '/v1/keys', { ...base, name: 'l', scopes: ['catalog:read'], tier: 'free', limits: { burstPerSecond: 100000, quota: null } });
    assert.equal(anything.status, 201, anything.text);
  });

  it('expiresAt: a rotated key expires when the rotation said; an expired or revoked key cannot be revived', async () => {
    const created = await call('POST', '/v1/keys', { ...base, name: 'rot', scopes: ['catalog:read'] });
    const rotated = await call('POST', `/v1/keys/${created.body.keyId}/rotate`, { overlapSeconds: 60 });
    const until = rotated.body.previous.expiresAt;
    for (const expiresAt of [null, new Date(Date.now() + 365 * 86_400_000).toISOString(), new Date(Date.now() + 10_000).toISOString()]) {
      const res = await call('PATCH', `/v1/keys/${created.body.keyId}`, { expiresAt });
      refused(res, 409, 'key-already-rotated');
      assert.equal(res.body.field, 'expiresAt');
    }
    assert.equal((await call('GET', `/v1/keys/${created.body.keyId}`)).body.expiresAt, until);

    const shortLived = await createTestKey(api.app, { scopes: ['catalog:read'], expiresAt: new Date(Date.now() + 1000) });
    await new Promise((r) => setTimeout(r, 1200));
    for (const expiresAt of [null, new Date(Date.now() + 86_400_000).toISOString()]) {
      refused(await call('PATCH', `/v1/keys/${idOf(shortLived)}`, { expiresAt }), 409, 'key-expired');
    }
    refused(await call('GET', '/__keys_probe/catalog', undefined, shortLived), 401, 'expired-api-key');

    const revoked = await createTestKey(api.app, { scopes: ['catalog:read'] });
    await call('POST', `/v1/keys/${idOf(revoked)}/revoke`, { reason: 'test' });
    refused(await call('PATCH', `/v1/keys/${idOf(revoked)}`, { expiresAt: null }), 409, 'key-revoked');

    // An active, unrotated key may still change its expiry (and other fields of the others may change).
    const active = await createTestKey(api.app, { scopes: ['catalog:read'] });
    const later = new Date(Date.now() + 86_400_000).toISOString();
    const ok = await call('PATCH', `/v1/keys/${idOf(active)}`, { expiresAt: later });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.expiresAt, later);
    assert.equal((await call('PATCH', `/v1/keys/${created.body.keyId}`, { name: 'renamed' })).status, 200);
  });

  it('documents the rule and its refusals in OpenAPI', async () => {
    const doc: any = await (await fetch(`${api.url}/docs/openapi.json`)).json();
    for (const [path, method] of [['/v1/keys', 'post'], ['/v1/keys/{keyId}', 'patch'], ['/v1/keys/{keyId}/rotate', 'post'], ['/v1/keys/{keyId}/revoke', 'post']]) {
      const op = doc.paths[path][method];
      assert.match(op.description, /never mint or control more than it has/);
      for (const slug of ['insufficient-scope', 'channel-not-allowed', 'tier-not-allowed', 'limits-not-allowed', 'cidrs-not-allowed', 'expiry-not-allowed']) assert.ok(op.responses['403'].description.includes(slug), `${method} ${path} ${slug}`);
    }
    assert.match(doc.paths['/v1/keys/{keyId}'].patch.responses['409'].description, /key-already-rotated/);
  });
});
