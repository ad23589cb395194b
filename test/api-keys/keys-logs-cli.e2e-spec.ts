import '../support/test-env';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { formatKey } from '@hub/api-keys';
import { BUILD_ROOT, freePort, spawnEntry, Spawned, waitUntil } from '../support/processes';
import { testEnv } from '../support/test-env';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const run = promisify(execFile);

describe('CLI key commands, and no key material in any log (api child process at debug level)', () => {
  let db: TestDatabase;
  let api: Spawned | undefined;
  let url: string;
  const logs: string[] = [];
  const keys: string[] = [];

  const cli = async (...args: string[]) => {
    const r = await run(process.execPath, ['--disable-warning=ExperimentalWarning', resolve(BUILD_ROOT, 'apps/cli/src/main.js'), ...args], {
      env: testEnv({ LOG_LEVEL: 'debug' }),
    }).catch((e: { stdout: string; stderr: string; code: number }) => e);
    logs.push(r.stderr);
    return r as { stdout: string; stderr: string; code?: number };
  };

  before(async () => {
    db = await createTestDatabase('keyslogs');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    api = spawnEntry('apps/api/src/main.js', testEnv({ PORT: String(port), LOG_LEVEL: 'debug', LOG_REQUESTS: 'true', API_KEY_USAGE_FLUSH_MS: '200' }));
    await api.waitFor(/api listening/);
  });
  after(async () => {
    await api?.kill();
    await db?.drop();
  });

  it('keys:create prints a working key once; keys:list shows it without the secret; keys:revoke stops it', async () => {
    const created = await cli('keys:create', '--name', 'Merchant admin', '--scopes', 'all', '--tier', 'internal');
    const key = /nsk_live_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(created.stdout)?.[0];
    assert.ok(key, created.stdout + created.stderr);
    keys.push(key);
    assert.match(created.stdout, /only time the key is shown/);
    const ok = await fetch(`${url}/v1/keys`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(ok.status, 200);

    const bad = await cli('keys:create', '--name', 'x', '--scopes', 'catalog:read,root');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--scopes/);
    // Dates new Date() would bend (2027-02-30 is March 2nd; "1" is 2001) are refused, as the API refuses them.
    for (const date of ['2027-02-30', '1', '12/31/2027']) {
      const r = await cli('keys:create', '--name', 'x', '--scopes', 'catalog:read', '--expires-at', date);
      assert.equal(r.code, 1, `${date}: ${r.stdout}`);
      assert.match(r.stderr, /--expires-at must be an ISO 8601/);
    }

    const listed = await cli('keys:list');
    assert.match(listed.stdout, new RegExp(key.slice(9, 21)));
    assert.ok(!listed.stdout.includes(key.slice(26, 54)), 'the secret is not listed');

    const other = await cli('keys:create', '--name', 'to revoke', '--scopes', 'catalog:read', '--env', 'test');
    const victim = /nsk_test_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(other.stdout)![0];
    keys.push(victim);
    assert.equal((await fetch(`${url}/v1/keys`, { headers: { 'x-api-key': victim } })).status, 403, 'valid key, wrong scope');
    const revoked = await cli('keys:revoke', victim.slice(9, 21), '--reason', 'test');
    assert.match(revoked.stdout, /Revoked/);
    await waitUntil(async () => (await fetch(`${url}/v1/keys`, { headers: { 'x-api-key': victim } })).status === 401, 1000, 10);
  });

  it('a run that creates, uses, rotates and misuses keys leaves none of them in the logs', async () => {
    const admin = keys[0];
    const call = (method: string, path: string, key: string, body?: unknown, header: 'authorization' | 'x-api-key' = 'authorization') =>
      fetch(url + path, {
        method,
        headers: { [header]: header === 'authorization' ? `Bearer ${key}` : key, ...(body ? { 'content-type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', '/v1/keys', admin, { name: `k${i}`, environment: 'live', scopes: ['keys:read'], tier: 'free' });
      const body: any = await r.json();
      keys.push(body.key);
      await call('GET', '/v1/keys', body.key, undefined, 'x-api-key');
      await call('GET', `/v1/keys?cursor=${body.key}`, body.key);
      await call('GET', `/v1/keys/${body.keyId}?api_key=${body.key}`, body.key);
      const secret = body.key.slice(22, 54);
      await call('GET', '/v1/keys', formatKey('live', body.keyId, secret.slice(0, -1) + (secret.endsWith('a') ? 'b' : 'a')));
      await call('GET', '/v1/keys', body.key.slice(0, -1));
      await call('POST', '/v1/keys', body.key, { name: body.key, environment: 'prod', scopes: [body.key], tier: body.key });
      const rotated: any = await (await call('POST', `/v1/keys/${body.keyId}/rotate`, admin, { overlapSeconds: 0 })).json();
      keys.push(rotated.key);
      await call('GET', '/v1/keys', body.key);
      await call('GET', '/v1/keys', rotated.key);
    }
    await new Promise((r) => setTimeout(r, 500));
    await api!.kill();
    api = undefined;
    const text = logs.join('\n') + '\n' + (await Promise.resolve(spawnLogs()));
    // The capture really holds debug request logs of this run (so a leak would have been seen).
    assert.match(text, /"msg":"api key refused"/);
    assert.match(text, /"context":"RouterExplorer"/);
    assert.ok(text.split('\n').length > 50, 'too few log lines captured');
    for (const k of keys) {
      assert.ok(!text.includes(k), `full key ${k.slice(0, 21)}… found in logs`);
      assert.ok(!text.includes(k.slice(22, 54)), `secret of ${k.slice(9, 21)} found in logs`);
      assert.ok(!text.includes(k.slice(26, 60)), `secret tail of ${k.slice(9, 21)} found in logs`);
    }
  });

  let captured = '';
  function spawnLogs() {
    return captured;
  }
  before(() => {
    // Collect the api's own stdout and stderr as it runs (spawnEntry buffers both).
    const orig = api!.output;
    captured = '';
    const timer = setInterval(() => (captured = orig()), 100);
    timer.unref();
    api!.exited.then(() => {
      captured = orig();
      clearInterval(timer);
    });
  });
});
