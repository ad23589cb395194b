import '../support/test-env';
import { Controller, Get, Module } from '@nestjs/common';
import { CurrentKey, Public, RequireScope } from '@hub/core';
import type { AuthContext } from '@hub/core';
import { formatKey, KeyCacheService } from '@hub/api-keys';
import assert from 'node:assert/strict';
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
});
