import '../support/test-env';
import { ApiKeysService, InstanceRegistryService } from '@hub/api-keys';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CatalogProbeModule, bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('API keys across two api instances (same Postgres, same Redis prefix)', () => {
  let db: TestDatabase;
  let a: RunningApi;
  let b: RunningApi;
  const get = (api: RunningApi, key: string) => fetch(`${api.url}/__keys_probe/catalog`, { headers: bearer(key) });
  const type = async (res: Response) => String(((await res.json()) as any).type).split('/').pop();

  before(async () => {
    db = await createTestDatabase('keysmulti');
    a = await startApi({ extraModules: [CatalogProbeModule] });
    b = await startApi({ extraModules: [CatalogProbeModule] });
    await waitUntil(() => a.app.get(InstanceRegistryService, { strict: false }).count === 2, 5000);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('quota 50, 200 concurrent requests over both instances: exactly 50 succeed', async () => {
    const key = await createTestKey(a.app, { scopes: ['catalog:read'], limits: { burstPerSecond: 100_000, quota: { limit: 50, period: 'day' } } });
    const res = await Promise.all(Array.from({ length: 200 }, (_, i) => get(i % 2 ? a : b, key)));
    const ok = res.filter((r) => r.status === 200).length;
    const refused = res.filter((r) => r.status === 429);
    assert.equal(ok, 50);
    assert.equal(refused.length, 150);
    assert.equal(await type(refused[0]), 'quota-exceeded');
    // Leases are all spent: nothing is left to admit later either.
    await new Promise((r) => setTimeout(r, 2500));
    const later = await Promise.all(Array.from({ length: 20 }, (_, i) => get(i % 2 ? a : b, key)));
    assert.equal(later.filter((r) => r.status === 200).length, 0);
  });

  it('quota 30 spread unevenly (one instance gets most calls): still exactly 30', async () => {
    const key = await createTestKey(a.app, { scopes: ['catalog:read'], limits: { burstPerSecond: 100_000, quota: { limit: 30, period: 'month' } } });
    // Warm a lease on b, then send almost everything to a: b's idle units go back and a can spend them.
    assert.equal((await get(b, key)).status, 200);
    await new Promise((r) => setTimeout(r, 3500));
    let ok = 1;
    for (let round = 0; round < 3; round++) {
      const res = await Promise.all(Array.from({ length: 20 }, () => get(a, key)));
      ok += res.filter((r) => r.status === 200).length;
      await new Promise((r) => setTimeout(r, 1200));
    }
    assert.equal(ok, 30);
  });

  it('a revocation on one instance is seen by the other within 1 s', async () => {
    const svcA = a.app.get(ApiKeysService, { strict: false });
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const key = await createTestKey(a.app, { scopes: ['catalog:read'] });
      assert.equal((await get(b, key)).status, 200, 'cached on b');
      const t0 = Date.now();
      await svcA.revoke(key.slice(9, 21), 'propagation test');
      await waitUntil(async () => (await get(b, key)).status === 401, 1000, 5);
      times.push(Date.now() - t0);
    }
    assert.ok(Math.max(...times) < 1000, times.join(','));
  });

  it('a scope change on one instance applies on the other within 1 s', async () => {
    const key = await createTestKey(a.app, { scopes: ['catalog:read', 'orders:read'] });
    assert.equal((await get(b, key)).status, 200);
    await b.app.get(ApiKeysService, { strict: false }).patch(key.slice(9, 21), { scopes: ['orders:read'] });
    await waitUntil(async () => (await get(a, key)).status === 403, 1000, 5);
  });

  it('burst is shared between instances: a 10/s key admits about 10 in a second over both, not 20', async () => {
    const key = await createTestKey(a.app, { scopes: ['catalog:read'], limits: { burstPerSecond: 10 } });
    const res = await Promise.all(Array.from({ length: 40 }, (_, i) => get(i % 2 ? a : b, key)));
    const ok = res.filter((r) => r.status === 200).length;
    assert.ok(ok >= 9 && ok <= 11, `admitted ${ok}`);
  });
});
