import '../support/test-env';
import { ChannelSyncControl, PartnerCredentials } from '@hub/core';
import { VaultService } from '@hub/vault';
import type { INestApplicationContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { createSandboxApp, Sandbox } from '../../apps/partner-sandbox/src/create-sandbox-app';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi, startWorker } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { createTestDatabase, TestDatabase } from '../support/test-database';
import { amazonFields, insertVersion } from './support/vault-helpers';
import { pointPartnersAt } from '../sandbox/sandbox-harness';

const DAY = 86_400_000;

describe('vault over HTTP (sandbox partners in-process)', () => {
  let db: TestDatabase;
  let sandbox: Sandbox;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let admin: string;
  let reader: string;

  before(async () => {
    db = await createTestDatabase('vault');
    sandbox = await createSandboxApp();
    const sb = await sandbox.listen(0);
    // Every partner URL (Amazon LWA, SP-API and notifications, Nykaa, Razorpay, Cloudinary's upload_prefix).
    pointPartnersAt(sb);
    // Polling is driven by the test itself (the notices test calls the poller directly).
    process.env.AMAZON_NOTIFICATIONS_POLL_MS = '3600000';
    // The test runs the re-check itself.
    process.env.VAULT_RECHECK_EVERY_MS = '3600000';
    // The audit trail must name the client behind our proxy, not the proxy (loopback here).
    process.env.TRUSTED_PROXIES = '127.0.0.1/32';
    api = await startApi();
    worker = await startWorker();
    admin = await createTestKey(api.app, { scopes: 'all' });
    reader = await createTestKey(api.app, { scopes: ['vault:read'] });
  });
  after(async () => {
    await worker?.close();
    await api?.close();
    await sandbox?.close();
    await db?.drop();
    delete process.env.TRUSTED_PROXIES;
  });

  const get = async (key = admin) => {
    const res = await fetch(`${api.url}/v1/vault/credentials`, { headers: bearer(key) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { data: { partner: string; versions: any[] }[] }).data;
  };
  const versionsOf = async (partner: string) => (await get()).find((p) => p.partner === partner)!.versions;
  const put = (partner: string, body: unknown, key = admin) =>
    fetch(`${api.url}/v1/vault/credentials/${partner}`, { method: 'PUT', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const badField = async (res: Response, field: string) => {
    assert.equal(res.status, 400, await res.clone().text());
    assert.match(res.headers.get('content-type') ?? '', /problem\+json/);
    const body: any = await res.json();
    assert.ok(body.errors.some((e: { field: string }) => e.field === field), `errors should name ${field}: ${JSON.stringify(body.errors)}`);
  };

  it('imports the environment credentials on first boot as current v1, showing fingerprints only', async () => {
    const data = await get(reader);
    assert.deepEqual(data.map((p) => p.partner), ['amazon', 'nykaa', 'razorpay', 'cloudinary']);
    for (const p of data) {
      assert.equal(p.versions.length, 1, p.partner);
      const v = p.versions[0];
      assert.equal(v.status, 'current');
      assert.equal(v.source, 'environment');
      assert.match(v.fingerprint, /^[0-9a-f]{12}$/);
    }
    const text = JSON.stringify(data);
    for (const secret of [process.env.AMAZON_LWA_CLIENT_SECRET!, process.env.NYKAA_API_KEY!, process.env.RAZORPAY_KEY_SECRET!, 'test-cloudinary-secret']) {
      assert.ok(!text.includes(secret), 'a secret leaked into GET');
    }
  });

  it("verifies each partner's credential with that partner's own authenticated call", async () => {
    for (const partner of ['amazon', 'nykaa', 'razorpay', 'cloudinary']) {
      const res = await fetch(`${api.url}/v1/vault/credentials/${partner}/verify`, { method: 'POST', headers: bearer(admin) });
      assert.equal(res.status, 200);
      const body: any = await res.json();
      assert.deepEqual(body.verification, { ok: true }, partner);
      assert.ok(body.credential.lastVerifiedAt);
    }
    const rzp = await put('razorpay', { fields: { keyId: process.env.RAZORPAY_KEY_ID, keySecret: 'wrong-key-secret', webhookSecret: 'whatever' } });
    assert.equal(rzp.status, 422);
    assert.match(((await rzp.json()) as any).error, /HTTP 401/);
    const cld = await put('cloudinary', { fields: { cloudName: 'novaskin-test', apiKey: '222222222222222', apiSecret: 'wrong-api-secret' } });
    assert.equal(cld.status, 422);
    assert.match(((await cld.json()) as any).error, /HTTP 401/);
  });

  it('refuses bad input with 400 naming the field, and enforces scopes', async () => {
    await badField(await put('ebay', { fields: {} }), 'partner');
    const missing = amazonFields('x') as Record<string, unknown>;
    delete missing.clientSecret;
    await badField(await put('amazon', { fields: missing }), 'fields.clientSecret');
    await badField(await put('nykaa', { fields: { apiKey: 'k', sellerId: 's', extra: 'x' } }), 'fields.extra');
    await badField(await put('nykaa', { fields: { apiKey: 'k'.repeat(5000), sellerId: 's' } }), 'fields.apiKey');
    await badField(await put('nykaa', { fields: { apiKey: 42, sellerId: 's' } }), 'fields.apiKey');
    await badField(await put('nykaa', { fields: { apiKey: 'k', sellerId: 's' }, expiresAt: new Date(Date.now() - 1000).toISOString() }), 'expiresAt');
    await badField(await put('nykaa', { fields: { apiKey: 'k', sellerId: 's' }, expiresAt: 'tomorrow' }), 'expiresAt');
    await badField(await put('nykaa', { fields: { apiKey: 'k', sellerId: 's' }, rotateEveryDays: 0 }), 'rotateEveryDays');
    await badField(await put('nykaa', { fields: 'k' }), 'fields');
    assert.equal((await put('nykaa', { fields: { apiKey: 'k', sellerId: 's' } }, reader)).status, 403);
    assert.equal((await fetch(`${api.url}/v1/vault/credentials`)).status, 401);
    // None of those created a version.
    assert.equal((await versionsOf('nykaa')).length, 1);
  });

  it('keeps a credential the partner refuses as pending with the partner error (422), current unchanged', async () => {
    const res = await put('amazon', { fields: amazonFields('wrong-secret-canary') });
    assert.equal(res.status, 422);
    const body: any = await res.json();
    assert.ok(body.type.endsWith('/credential-verification-failed'));
    assert.match(body.error, /invalid_client/);
    assert.equal(body.status, 422);
    assert.equal(body.credentialStatus, 'pending');
    assert.equal(body.retryable, false);
    assert.ok(!JSON.stringify(body).includes('wrong-secret-canary'));
    const vs = await versionsOf('amazon');
    assert.deepEqual(vs.map((v) => [v.version, v.status]), [[2, 'pending'], [1, 'current']]);
    assert.match(vs[0].lastError, /invalid_client/);
    assert.equal(vs[0].health, 'failing');
  });

  it('answers 503 partner-unavailable with Retry-After when the partner cannot answer; the version stays pending and verifies later', async () => {
    const sb = sandbox.ctx.publicUrl();
    const before = (await versionsOf('nykaa')).find((v) => v.status === 'current').version;
    await fetch(`${sb}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partner: 'nykaa', kind: 'server-error', status: 503, match: '/v1/auth/verify' }) });
    let res: Response;
    try {
      res = await put('nykaa', { fields: { apiKey: process.env.NYKAA_API_KEY, sellerId: process.env.NYKAA_SELLER_ID } });
    } finally {
      await fetch(`${sb}/_sandbox/faults`, { method: 'DELETE' });
    }
    assert.equal(res.status, 503, await res.clone().text());
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    assert.equal(res.headers.get('retry-after'), '30');
    const body: any = await res.json();
    assert.ok(body.type.endsWith('/partner-unavailable'));
    assert.equal(body.retryable, true);
    assert.equal(body.credentialStatus, 'pending');
    assert.ok(!JSON.stringify(body).includes(process.env.NYKAA_API_KEY!));
    const vs = await versionsOf('nykaa');
    assert.equal(vs.find((v) => v.status === 'current').version, before, 'current unchanged');
    // Once the partner answers, the pending version verifies and becomes current.
    const again = await fetch(`${api.url}/v1/vault/credentials/nykaa/verify`, { method: 'POST', headers: { ...bearer(admin), 'content-type': 'application/json' }, body: JSON.stringify({ version: body.version }) });
    assert.equal(again.status, 200);
    const out: any = await again.json();
    assert.equal(out.verification.ok, true);
    assert.equal(out.credential.status, 'current');
  });

  it('rotates: a verified new secret becomes current, the old one stays usable as previous for 7 days, every instance sees it at once', async () => {
    const workerCreds = worker.get(PartnerCredentials, { strict: false });
    assert.equal((await workerCreds.current('amazon')).version, 1); // warms the worker's cache
    const rot: any = await (await fetch(`${sandbox.ctx.publicUrl()}/_sandbox/amazon/rotate-secret`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ oldSecretValidDays: 7 }) })).json();
    const expiresAt = new Date(Date.now() + 5 * DAY).toISOString();
    const res = await put('amazon', { fields: amazonFields(rot.newClientSecret), expiresAt, rotateEveryDays: 180 });
    assert.equal(res.status, 201, await res.clone().text());
    const body: any = await res.json();
    assert.equal(body.credential.status, 'current');
    assert.equal(body.credential.version, 3);
    assert.equal(body.credential.health, 'expiring');
    assert.equal(body.credential.expiringWithinDays, 7);
    assert.ok(body.credential.lastVerifiedAt);
    const vs = await versionsOf('amazon');
    // v2 (refused earlier, still pending) is older than the new current one: it retires.
    assert.deepEqual(vs.map((v) => [v.version, v.status]), [[3, 'current'], [2, 'retired'], [1, 'previous']]);
    // v1 has no expiry of its own: the 7-day grace is shown apart, expiresAt still says "none".
    assert.equal(vs[2].expiresAt, null);
    const prevUntil = Date.parse(vs[2].graceUntil);
    assert.ok(Math.abs(prevUntil - (Date.now() + 7 * DAY)) < 60_000, 'previous stays usable 7 days');
    // The worker (another Nest app with its own cache) sees the promotion through pub/sub, not a TTL.
    await waitUntil(async () => (await workerCreds.current('amazon')).version === 3, 2000);
    const usable = await workerCreds.usable('amazon');
    assert.deepEqual(usable.map((c) => c.version), [3, 1]);
    assert.equal(usable[0].fields.clientSecret, rot.newClientSecret);
    // An expiring credential opens its alert at once.
    const alerts: any = await (await fetch(`${api.url}/v1/alerts?status=open`, { headers: bearer(admin) })).json();
    assert.ok(alerts.data.some((a: any) => a.kind === 'credential-expiring' && a.subject === 'amazon'));
  });

  it('marks a rejected credential failing with an alert, and a successful verify clears it', async () => {
    const creds = api.app.get(PartnerCredentials, { strict: false });
    const cur = await creds.current('nykaa');
    await creds.reportRejected('nykaa', cur.version, 'HTTP 401 invalid api key');
    let v = (await versionsOf('nykaa'))[0];
    assert.equal(v.health, 'failing');
    assert.ok(v.lastFailureAt);
    const open = async () => ((await (await fetch(`${api.url}/v1/alerts?status=open`, { headers: bearer(admin) })).json()) as any).data;
    assert.ok((await open()).some((a: any) => a.kind === 'credential-failing' && a.subject === 'nykaa'));
    const res = await fetch(`${api.url}/v1/vault/credentials/nykaa/verify`, { method: 'POST', headers: bearer(admin) });
    assert.equal(res.status, 200);
    const body: any = await res.json();
    assert.equal(body.verification.ok, true);
    v = (await versionsOf('nykaa'))[0];
    assert.equal(v.health, 'ok');
    assert.ok(!(await open()).some((a: any) => a.kind === 'credential-failing' && a.subject === 'nykaa'));
  });

  it('re-check job: a failing current credential that verifies again recovers by itself; an expired previous version retires', async () => {
    const vault = worker.get(VaultService, { strict: false });
    const creds = worker.get(PartnerCredentials, { strict: false });
    await creds.reportRejected('nykaa', (await creds.current('nykaa')).version, 'HTTP 401 (transient)');
    assert.equal((await versionsOf('nykaa'))[0].health, 'failing');
    const ds = api.app.get(DataSource);
    await ds.query(`UPDATE vault_credential_versions SET expires_at = now() - interval '1 second' WHERE partner = 'amazon' AND status = 'previous'`);
    const r = await vault.recheck();
    assert.deepEqual(r.recovered, ['nykaa']);
    assert.equal(r.retired, 1);
    assert.equal((await versionsOf('nykaa'))[0].health, 'ok');
    const amazon = await versionsOf('amazon');
    assert.equal(amazon.find((v) => v.version === 1).status, 'retired');
    assert.deepEqual((await creds.usable('amazon')).map((c) => c.version), [3]);
  });

  it('resumes a channel paused by a request that still used a replaced version, once the current version verifies', async () => {
    const ctl = worker.get(ChannelSyncControl, { strict: false });
    const creds = worker.get(PartnerCredentials, { strict: false });
    // Amazon v2 is retired, v3 current: a stale job refused with the old secret pauses the channel...
    await creds.reportRejected('amazon', 2, 'LWA token exchange failed: invalid_client');
    await ctl.pause('amazon', 'amazon rejected credential version 2');
    // ...and the vault notices the current version works and resumes it by itself.
    await waitUntil(async () => !(await ctl.isPaused('amazon')), 10_000, 100);
    // The periodic re-check does the same for a pause it finds.
    await ctl.pause('nykaa', 'nykaa rejected credential version 0');
    const r = await worker.get(VaultService, { strict: false }).recheck();
    assert.ok(r.recovered.includes('nykaa'));
    assert.equal(await ctl.isPaused('nykaa'), false);
  });

  it('documents the vault and alerts routes in OpenAPI', async () => {
    const doc: any = await (await fetch(`${api.url}/docs/openapi.json`)).json();
    for (const path of ['/v1/vault/credentials', '/v1/vault/credentials/{partner}', '/v1/vault/credentials/{partner}/verify', '/v1/alerts', '/v1/alerts/{id}/ack']) assert.ok(doc.paths[path], path);
    assert.deepEqual(doc.paths['/v1/vault/credentials/{partner}'].put.tags, ['vault']);
    assert.ok(doc.components.schemas.CredentialVersionDto.properties.fingerprint);
  });

  it('records lastUsedAt from reportAccepted in batches', async () => {
    const creds = api.app.get(PartnerCredentials, { strict: false });
    for (let i = 0; i < 50; i++) await creds.reportAccepted('razorpay', 1);
    const v = (await versionsOf('razorpay')).find((x) => x.version === 1);
    assert.ok(v.lastUsedAt, 'lastUsedAt written (GET flushes the batch)');
    assert.equal((await versionsOf('razorpay')).find((x) => x.version === 2).lastUsedAt, null);
  });

  it('refuses tampered ciphertext or a row moved to another version: clear error, credential failing, api still serving', async () => {
    const ds = api.app.get(DataSource);
    const vault = api.app.get(VaultService, { strict: false });
    await ds.query(`UPDATE vault_credential_versions SET ciphertext = set_byte(ciphertext, 40, get_byte(ciphertext, 40) # 1) WHERE partner = 'cloudinary' AND status = 'current'`);
    await (vault as any).invalidate('cloudinary');
    const creds = api.app.get(PartnerCredentials, { strict: false });
    await assert.rejects(creds.current('cloudinary'), /Vault cannot decrypt cloudinary credential v1: the ciphertext failed authentication/);
    const v = (await versionsOf('cloudinary')).find((x) => x.status === 'current');
    assert.equal(v.health, 'failing');
    assert.match(v.lastError, /cannot decrypt/);
    // AAD: the same sealed bytes presented as another version do not open.
    await ds.query(`UPDATE vault_credential_versions SET version = 9 WHERE partner = 'razorpay' AND version = 1`);
    await (vault as any).invalidate('razorpay');
    await assert.rejects(creds.current('razorpay'), /Vault cannot decrypt razorpay credential v9/);
    const verify: any = await (await fetch(`${api.url}/v1/vault/credentials/razorpay/verify`, { method: 'POST', headers: bearer(admin) })).json();
    assert.equal(verify.verification.ok, false);
    assert.match(verify.verification.error, /cannot decrypt/);
    assert.equal((await fetch(`${api.url}/health/live`)).status, 200);
  });

  it('audits every write, verification and rotation', async () => {
    const ds = api.app.get(DataSource);
    const rows: { action: string; n: string }[] = await ds.query(`SELECT action, count(*) AS n FROM audit_events WHERE action LIKE 'vault.%' GROUP BY action`);
    const by = Object.fromEntries(rows.map((r) => [r.action, Number(r.n)]));
    assert.equal(by['vault.credential.imported'], 4);
    assert.ok(by['vault.credential.written'] >= 2);
    assert.ok(by['vault.credential.verified'] >= 3);
    assert.ok(by['vault.credential.rotated'] >= 1);
    assert.ok(by['vault.credential.failing'] >= 1);
    assert.ok(by['vault.credentials.listed'] >= 5, 'reads of the vault are on the trail');
  });

  it('audits the client address resolved through TRUSTED_PROXIES, not the proxy socket address', async () => {
    const ds = api.app.get(DataSource);
    const listed = await fetch(`${api.url}/v1/vault/credentials`, { headers: { ...bearer(reader), 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(listed.status, 200);
    const verified = await fetch(`${api.url}/v1/vault/credentials/nykaa/verify`, { method: 'POST', headers: { ...bearer(admin), 'x-forwarded-for': '198.51.100.7, 127.0.0.1' } });
    assert.equal(verified.status, 200);
    const ipOf = async (requestId: string | null) => (await ds.query(`SELECT DISTINCT ip FROM audit_events WHERE request_id = $1`, [requestId])).map((r: { ip: string }) => r.ip);
    assert.deepEqual(await ipOf(listed.headers.get('x-request-id')), ['203.0.113.9']);
    assert.deepEqual(await ipOf(verified.headers.get('x-request-id')), ['198.51.100.7']);
  });

  it('never lets an older version replace a newer current one: verifications finishing out of order, older pending versions retired', async () => {
    const ds = api.app.get(DataSource);
    const vault = api.app.get(VaultService, { strict: false });
    const good = { cloudName: 'novaskin-test', apiKey: '222222222222222', apiSecret: 'test-cloudinary-secret' };
    // Two PUTs committed their pending rows; their verifications run outside the partner lock.
    const pending = () => insertVersion(ds, vault, 'cloudinary', good);
    const older = await pending();
    const newer = await pending();
    // The newer one verifies first and becomes current; the older one's verification lands later.
    const first = await vault.verify('cloudinary', newer, { system: 'test' });
    assert.equal(first!.credential.status, 'current');
    const late = await vault.verify('cloudinary', older, { system: 'test' });
    assert.equal(late!.verification.ok, true);
    assert.equal(late!.credential.status, 'retired', 'the older version does not become current');
    const vs = await versionsOf('cloudinary');
    assert.equal(vs.find((v) => v.status === 'current').version, newer);
    assert.equal(vs.find((v) => v.version === older).status, 'retired');
    assert.ok(!vs.some((v) => v.status === 'pending' && v.version < newer), 'no pending version older than current is left behind');
    assert.equal((await api.app.get(PartnerCredentials, { strict: false }).current('cloudinary')).version, newer);

    // A pending row older than current (left by an earlier release) retires when it verifies.
    await ds.query(`UPDATE vault_credential_versions SET status = 'pending', retired_at = NULL WHERE partner = 'cloudinary' AND version = $1`, [older]);
    const out = await vault.verify('cloudinary', older, { system: 'test' });
    assert.equal(out!.credential.status, 'retired');
    assert.equal((await versionsOf('cloudinary')).find((v) => v.status === 'current').version, newer);
  });
});
