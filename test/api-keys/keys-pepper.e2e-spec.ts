import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from 'pg';
import { CatalogProbeModule, bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('API key pepper versions (API_KEY_PEPPER rotation)', () => {
  let db: TestDatabase;
  let pg: Client;
  const apps: RunningApi[] = [];
  const start = async (pepper: string) => {
    process.env.API_KEY_PEPPER = pepper;
    const api = await startApi({ extraModules: [CatalogProbeModule] });
    apps.push(api);
    return api;
  };
  const get = (api: RunningApi, key: string) => fetch(`${api.url}/__keys_probe/catalog`, { headers: bearer(key) });
  const versionOf = async (key: string) => (await pg.query('SELECT pepper_version, secret_hash FROM api_keys WHERE key_id = $1', [key.slice(9, 21)])).rows[0];

  before(async () => {
    db = await createTestDatabase('keyspepper');
    pg = new Client({ connectionString: db.url });
    await pg.connect();
  });
  after(async () => {
    for (const a of apps) await a.close();
    await pg?.end();
    await db?.drop();
  });

  it('keeps old keys working after a new pepper version is added, hashes new keys with it, and never stores the secret', async () => {
    const v1 = 'v1:first-pepper-for-tests-0000000';
    const v2 = 'v2:second-pepper-for-tests-000000';
    const old = await start(v1);
    const oldKey = await createTestKey(old.app, { scopes: ['catalog:read'] });
    const row1 = await versionOf(oldKey);
    assert.equal(row1.pepper_version, 1);
    assert.ok(!row1.secret_hash.toString('latin1').includes(oldKey.slice(22, 54)));
    const dump = JSON.stringify((await pg.query('SELECT * FROM api_keys')).rows);
    assert.ok(!dump.includes(oldKey.slice(22, 54)), 'the secret is not in the table');

    const both = await start(`${v1},${v2}`);
    assert.equal((await get(both, oldKey)).status, 200, 'a v1 key still verifies');
    const newKey = await createTestKey(both.app, { scopes: ['catalog:read'] });
    assert.equal((await versionOf(newKey)).pepper_version, 2);
    assert.equal((await get(both, newKey)).status, 200);

    // An instance that only knows v2 cannot verify v1 keys: retire v1 only after rotating them.
    const onlyV2 = await start(v2);
    assert.equal((await get(onlyV2, oldKey)).status, 401);
    assert.equal((await get(onlyV2, newKey)).status, 200);
    delete process.env.API_KEY_PEPPER;
  });
});
