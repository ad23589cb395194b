import '../support/test-env';
import { VaultService } from '@hub/vault';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RunningApi, startApi } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';

describe('vault: importing the environment credentials on a fresh install', () => {
  let db: TestDatabase;
  const apis: RunningApi[] = [];
  const saved = { NYKAA_API_KEY: process.env.NYKAA_API_KEY, NYKAA_SELLER_ID: process.env.NYKAA_SELLER_ID };

  before(async () => {
    db = await createTestDatabase('vaultimport');
  });
  after(async () => {
    Object.assign(process.env, saved);
    for (const a of apis) await a.close();
    await db?.drop();
  });

  it('an imported credential is usable at once on every instance, also one that had looked (and found none) before', async () => {
    delete process.env.NYKAA_API_KEY;
    delete process.env.NYKAA_SELLER_ID;
    apis.push(await startApi(), await startApi());
    const [a, b] = apis.map((x) => x.app.get(VaultService));
    // Both look first: "no nykaa credential", cached for VAULT_CACHE_TTL_MS (a minute).
    await assert.rejects(a.current('nykaa'), /No nykaa credential/);
    await assert.rejects(b.current('nykaa'), /No nykaa credential/);
    Object.assign(process.env, saved);
    assert.deepEqual(await a.importFromEnvironment(), ['nykaa']);
    assert.equal((await a.current('nykaa')).version, 1, 'the importing instance at once');
    await waitUntil(() => b.current('nykaa').then(() => true, () => false), 2_000, 20);
    assert.equal((await b.current('nykaa')).version, 1, 'the other instance after the Redis message');
  });
});
