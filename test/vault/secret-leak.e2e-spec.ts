import '../support/test-env';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createSandboxApp, Sandbox } from '../../apps/partner-sandbox/src/create-sandbox-app';
import { BUILD_ROOT, freePort, Spawned, spawnEntry, waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { testEnv } from '../support/test-env';
import { amazonFields } from './support/vault-helpers';

const canary = (what: string) => `canary-${what}-${randomBytes(8).toString('hex')}`;

/**
 * Real processes with verbose logs: secrets go in through the environment bootstrap, PUTs (good
 * and refused) and Amazon's new-secret notice; then neither a pg_dump nor any log line nor any
 * response may contain one of them.
 */
describe('no secret written to the vault reaches Postgres, logs or responses', () => {
  let db: TestDatabase;
  let sandbox: Sandbox;
  let api: Spawned;
  let worker: Spawned;
  let url: string;
  let key: string;
  let env: Record<string, string>;
  let cliOutput = '';
  const responses: string[] = [];
  const canaries: string[] = [];

  before(async () => {
    db = await createTestDatabase('vaultleak');
    const boot = {
      AMAZON_LWA_CLIENT_SECRET: canary('amazon-env'),
      NYKAA_API_KEY: canary('nykaa-env'),
      RAZORPAY_KEY_SECRET: canary('rzp-key-env'),
      RAZORPAY_WEBHOOK_SECRET: canary('rzp-webhook-env'),
      CLOUDINARY_API_SECRET: canary('cloudinary-env'),
    };
    canaries.push(...Object.values(boot));
    // The in-process sandbox reads the same environment, so it accepts the bootstrap secrets.
    Object.assign(process.env, boot);
    process.env.CLOUDINARY_URL = `cloudinary://333333333333333:${boot.CLOUDINARY_API_SECRET}@novaskin-leak?upload_prefix=http://127.0.0.1:9`;
    sandbox = await createSandboxApp();
    const sb = await sandbox.listen(0);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = testEnv({
      DATABASE_URL: db.url,
      PORT: String(port),
      LOG_LEVEL: 'trace',
      LOG_REQUESTS: 'true',
      AMAZON_LWA_URL: `${sb}/auth/o2/token`,
      AMAZON_SPAPI_URL: sb,
      NYKAA_API_URL: `${sb}/nykaa`,
      AMAZON_NOTIFICATIONS_URL: `${sb}/_sqs/amazon-notifications`,
      AMAZON_NOTIFICATIONS_POLL_MS: '500',
    });
    const cli = spawnSync(process.execPath, ['--disable-warning=ExperimentalWarning', resolve(BUILD_ROOT, 'apps/cli/src/main.js'), 'keys:create', '--name', 'leak test', '--scopes', 'all', '--env', 'test'], { env, encoding: 'utf8', timeout: 60_000 });
    cliOutput = `${cli.stdout}${cli.stderr}`;
    key = /nsk_test_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}/.exec(cliOutput)?.[0] ?? '';
    assert.ok(key, cliOutput);
    api = spawnEntry('apps/api/src/main.js', env);
    worker = spawnEntry('apps/worker/src/main.js', env);
    await api.waitFor(/api listening/, 30_000);
    await worker.waitFor(/worker started/, 30_000);
  });
  after(async () => {
    await api?.kill();
    await worker?.kill();
    await sandbox?.close();
    await db?.drop();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${key}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    responses.push(text);
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };

  it('takes secrets through every path (bootstrap, refused PUT, accepted PUT, Amazon notice, verify)', async () => {
    const amazon = (clientSecret: string) => amazonFields(clientSecret, env);
    const wrong = canary('amazon-wrong');
    canaries.push(wrong);
    assert.equal((await call('PUT', '/v1/vault/credentials/amazon', { fields: amazon(wrong) })).status, 422);
    const nykaaWrong = canary('nykaa-wrong');
    canaries.push(nykaaWrong);
    assert.equal((await call('PUT', '/v1/vault/credentials/nykaa', { fields: { apiKey: nykaaWrong, sellerId: env.NYKAA_SELLER_ID } })).status, 422);
    const rzp = { keyId: 'rzp_test_leak', keySecret: canary('rzp-put'), webhookSecret: canary('rzp-webhook-put') };
    canaries.push(rzp.keySecret, rzp.webhookSecret);
    // The sandbox has no Razorpay here: unreachable is a 503, and the version stays pending.
    assert.equal((await call('PUT', '/v1/vault/credentials/razorpay', { fields: rzp })).status, 503);

    const rotate = async () => {
      const r = await fetch(`${sandbox.ctx.publicUrl()}/_sandbox/amazon/rotate-secret`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const s = ((await r.json()) as { newClientSecret: string }).newClientSecret;
      canaries.push(s);
      return s;
    };
    const first = await rotate();
    const put = await call('PUT', '/v1/vault/credentials/amazon', { fields: amazon(first) });
    assert.equal(put.status, 201, JSON.stringify(put.json));
    // The second rotation is only announced through the notifications queue: the worker ingests it.
    await rotate();
    await waitUntil(async () => {
      const list = await call('GET', '/v1/vault/credentials');
      const cur = list.json.data.find((p: any) => p.partner === 'amazon').versions.find((v: any) => v.status === 'current');
      return cur?.source === 'amazon-notification';
    }, 20_000, 250);
    for (const p of ['amazon', 'nykaa', 'razorpay', 'cloudinary']) assert.equal((await call('POST', `/v1/vault/credentials/${p}/verify`)).status, 200);
  });

  it('pg_dump of the database contains none of them (as text or as hex bytes)', async () => {
    const dump = spawnSync('pg_dump', ['--no-owner', db.url], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    assert.equal(dump.status, 0, dump.stderr);
    assert.ok(dump.stdout.includes('vault_credential_versions'));
    for (const c of canaries) {
      assert.ok(!dump.stdout.includes(c), `pg_dump contains ${c.slice(0, 20)}…`);
      assert.ok(!dump.stdout.includes(Buffer.from(c).toString('hex')), `pg_dump contains the bytes of ${c.slice(0, 20)}…`);
    }
  });

  it('the api, worker and CLI logs and every response contain none of them', async () => {
    const logs = `${api.output()}\n${worker.output()}\n${cliOutput}`;
    assert.ok(logs.length > 1000, 'trace logs were captured');
    assert.match(worker.output(), /new Amazon client secret verified and made current/);
    for (const c of canaries) {
      assert.ok(!logs.includes(c), `logs contain ${c.slice(0, 20)}…`);
      assert.ok(!responses.join('\n').includes(c), `a response contains ${c.slice(0, 20)}…`);
    }
  });
});
