import '../support/test-env';
import { formatKey } from '@hub/api-keys';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CatalogProbeModule, bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('API keys: IP allowlists, forwarded addresses and brute force (real Postgres and Redis)', () => {
  let db: TestDatabase;
  let direct: RunningApi;
  let behindProxy: RunningApi;
  const get = (api: RunningApi, key: string, xff?: string) =>
    fetch(`${api.url}/__keys_probe/catalog`, { headers: { ...bearer(key), ...(xff ? { 'x-forwarded-for': xff } : {}) } });
  const slug = async (res: Response) => String(((await res.json()) as any).type).split('/').pop();

  before(async () => {
    db = await createTestDatabase('keysnet');
    process.env.AUTH_FAILURES_PER_MINUTE = '10';
    direct = await startApi({ extraModules: [CatalogProbeModule] });
    process.env.TRUSTED_PROXIES = '127.0.0.1/32';
    behindProxy = await startApi({ extraModules: [CatalogProbeModule] });
    delete process.env.TRUSTED_PROXIES;
    delete process.env.AUTH_FAILURES_PER_MINUTE;
  });
  after(async () => {
    await direct?.close();
    await behindProxy?.close();
    await db?.drop();
  });

  it('refuses a spoofed X-Forwarded-For from an untrusted peer (the socket address is checked)', async () => {
    const key = await createTestKey(direct.app, { scopes: ['catalog:read'], allowedCidrs: ['10.0.0.0/8'] });
    const spoofed = await get(direct, key, '10.1.2.3');
    assert.equal(spoofed.status, 403);
    assert.equal(await slug(spoofed), 'ip-not-allowed');
    assert.equal((await get(direct, key)).status, 403);
  });

  it('believes X-Forwarded-For only from a trusted proxy, IPv4-mapped IPv6 normalised', async () => {
    const key = await createTestKey(direct.app, { scopes: ['catalog:read'], allowedCidrs: ['10.0.0.0/8'] });
    assert.equal((await get(behindProxy, key, '10.1.2.3')).status, 200);
    assert.equal((await get(behindProxy, key, '::ffff:10.9.9.9')).status, 200);
    // The left-most entry is the client's claim; the right-most untrusted hop is who connected.
    const chained = await get(behindProxy, key, '10.1.2.3, 203.0.113.9');
    assert.equal(chained.status, 403);
    assert.equal(await slug(chained), 'ip-not-allowed');
  });

  it('matches IPv6 allowlists', async () => {
    const key = await createTestKey(direct.app, { scopes: ['catalog:read'], allowedCidrs: ['2001:db8::/32', '127.0.0.1'] });
    assert.equal((await get(behindProxy, key, '2001:db8:0:1::5')).status, 200);
    assert.equal((await get(behindProxy, key, '2001:db9::5')).status, 403);
    assert.equal((await get(direct, key)).status, 200, 'the loopback socket address is allowed');
  });

  it('slows down guessing: after too many failed authentications an address gets 429 for every key, others are unaffected', async () => {
    const good = await createTestKey(direct.app, { scopes: ['catalog:read'] });
    const guesses = Array.from({ length: 10 }, (_, i) => formatKey('test', good.slice(9, 21), String(i).padStart(32, 'q')));
    for (const g of guesses) assert.equal((await get(behindProxy, g, '198.51.100.7')).status, 401);
    const blocked = await get(behindProxy, guesses[0], '198.51.100.7');
    assert.equal(blocked.status, 429);
    assert.equal(await slug(blocked), 'rate-limited');
    assert.ok(Number(blocked.headers.get('retry-after')) >= 1);
    assert.equal((await get(behindProxy, good, '198.51.100.7')).status, 429, 'even the right key from that address waits');
    assert.equal((await get(behindProxy, good, '198.51.100.8')).status, 200);
  });
});
