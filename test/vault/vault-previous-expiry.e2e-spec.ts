import '../support/test-env';
import { Partner, PartnerCredentials } from '@hub/core';
import { AlertsService } from '@hub/alerts';
import { VaultService } from '@hub/vault';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer } from '../support/api-keys';
import type { RunningApi } from '../support/hub-harness';
import { deliver, razorpayEvent } from '../payments/support/orders-harness';
import { amazonFields } from './support/vault-helpers';
import { startVaultStack, VaultApiStack } from './support/vault-stack';

const DAY = 86_400_000;

/**
 * CONTRACT: "the previous version stays usable until its own expiry". A replaced version keeps the
 * expiry it had (the grace is only for one without any, and kept apart), and a later rotation does
 * not cut off an older previous version that is still valid, notably for Razorpay webhooks.
 */
describe('vault: previous versions keep their own expiry', () => {
  let stack: VaultApiStack;
  let api: RunningApi;
  let ds: DataSource;
  let vault: VaultService;
  let admin: string;

  before(async () => {
    // The api alone; pointPartnersAt (in the stack) gives it the sandbox's RAZORPAY_API_URL and CLOUDINARY_URL among the rest.
    stack = await startVaultStack('vaultprev', { worker: false });
    ({ api, key: admin } = stack);
    ds = api.app.get(DataSource);
    vault = api.app.get(VaultService, { strict: false });
  });
  after(async () => {
    await stack?.close();
  });

  // stack.versions asserts the listing's 200.
  const byVersion = async (partner: Partner) => new Map((await stack.versions(partner)).map((v) => [v.version as number, v]));
  const put = async (partner: string, body: unknown) => {
    const res = await fetch(`${api.url}/v1/vault/credentials/${partner}`, { method: 'PUT', headers: { ...bearer(admin), 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as any).credential;
  };
  const near = (a: string | null, b: number, ms = 60_000) => a !== null && Math.abs(Date.parse(a) - b) < ms;
  const openAlerts = async (subject: string) => (await stack.openAlerts()).filter((a) => a.subject === subject).map((a) => a.kind as string);

  it('a replaced version keeps its own expiresAt; only one without any gets the grace, shown apart as graceUntil', async () => {
    const nykaa = { apiKey: process.env.NYKAA_API_KEY, sellerId: process.env.NYKAA_SELLER_ID };
    const in40 = new Date(Date.now() + 40 * DAY).toISOString();
    await put('nykaa', { fields: nykaa, expiresAt: in40 });
    let vs = await byVersion('nykaa');
    // v1 (the environment import) had no expiry: it gets the 7-day grace, and expiresAt still says "none".
    assert.equal(vs.get(1).status, 'previous');
    assert.equal(vs.get(1).expiresAt, null);
    assert.ok(near(vs.get(1).graceUntil, Date.now() + 7 * DAY), `graceUntil ${vs.get(1).graceUntil}`);
    assert.deepEqual([vs.get(1).health, vs.get(1).expiringWithinDays], ['expiring', 7], 'judged by when we stop using it');

    await put('nykaa', { fields: nykaa });
    vs = await byVersion('nykaa');
    // v2 had its own expiry 40 days out: it is kept exactly, not cut to the 7-day grace.
    assert.deepEqual([vs.get(2).status, vs.get(2).expiresAt, vs.get(2).graceUntil, vs.get(2).health], ['previous', in40, null, 'ok']);
    // v1 is still within its grace: the second rotation does not retire it.
    assert.equal(vs.get(1).status, 'previous');
    assert.deepEqual((await api.app.get(PartnerCredentials, { strict: false }).usable('nykaa')).map((c) => c.version), [3, 2, 1]);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM vault_credential_versions WHERE partner = 'nykaa' AND status = 'retired'`);
    assert.equal(n, 0);
  });

  it("the partner's announced end is the real expiry when earlier, and never extends an earlier own expiry", async () => {
    const fields = amazonFields(process.env.AMAZON_LWA_CLIENT_SECRET!) as never;
    const actor = { system: 'test' };
    const in20 = new Date(Date.now() + 20 * DAY);
    const in50 = new Date(Date.now() + 50 * DAY);
    const in12 = new Date(Date.now() + 12 * DAY);
    assert.equal((await vault.write('amazon', { fields, expiresAt: in20 }, actor)).credential.version, 2);
    // v2 (own end in 20 days) is replaced with an announced end in 50: its own, earlier end stands.
    await vault.write('amazon', { fields, previousExpiresAt: in50 }, actor);
    let vs = await byVersion('amazon');
    assert.deepEqual([vs.get(2).status, vs.get(2).expiresAt, vs.get(2).graceUntil], ['previous', in20.toISOString(), null]);
    // v3 (no own end) is replaced with an announced end in 12 days: that is its expiry, no grace.
    await vault.write('amazon', { fields, previousExpiresAt: in12 }, actor);
    vs = await byVersion('amazon');
    assert.deepEqual([vs.get(3).status, vs.get(3).expiresAt, vs.get(3).graceUntil], ['previous', in12.toISOString(), null]);
    assert.deepEqual([vs.get(2).status, vs.get(2).expiresAt], ['previous', in20.toISOString()]);
    assert.equal(vs.get(1).status, 'previous', 'v1 is within its grace still');
    const [audit] = await ds.query(`SELECT details FROM audit_events WHERE action = 'vault.credential.rotated' AND subject_id = 'amazon:v4'`);
    assert.equal(audit.details.previousUsableUntil, in12.toISOString());
  });

  it('Razorpay webhooks signed with any still-valid previous secret verify; each secret stops at its own end', async () => {
    const keys = { keyId: process.env.RAZORPAY_KEY_ID, keySecret: process.env.RAZORPAY_KEY_SECRET };
    const v1Secret = process.env.RAZORPAY_WEBHOOK_SECRET!;
    const in40 = new Date(Date.now() + 40 * DAY).toISOString();
    // Two rotations a minute apart (the first secret was mistyped at Razorpay, say).
    await put('razorpay', { fields: { ...keys, webhookSecret: 'whsec_previous_v2' }, expiresAt: in40 });
    await put('razorpay', { fields: { ...keys, webhookSecret: 'whsec_current_v3' } });
    let n = 0;
    const signedWith = async (secret: string) => {
      const id = `PrevExp${String(++n).padStart(6, '0')}`;
      return (await deliver(api.url, `evt_prev_${n}`, JSON.stringify(razorpayEvent('payment.captured', `order_${id}`, `pay_${id}`, 89900)), { secret })).status;
    };
    assert.equal(await signedWith('whsec_current_v3'), 200);
    assert.equal(await signedWith('whsec_previous_v2'), 200);
    assert.equal(await signedWith(v1Secret), 200, 'a delivery signed with v1 (still in its grace) is not refused');
    assert.equal(await signedWith('whsec_never_configured'), 400);

    // Seven days on, v1's grace is over: the re-check retires it and its signatures stop verifying; v2 (own end in 40 days) stays.
    await ds.query(`UPDATE vault_credential_versions SET grace_until = now() - interval '1 second' WHERE partner = 'razorpay' AND version = 1`);
    assert.equal((await vault.recheck()).retired, 1);
    let vs = await byVersion('razorpay');
    assert.deepEqual([1, 2, 3].map((v) => vs.get(v).status), ['retired', 'previous', 'current']);
    assert.equal(vs.get(2).expiresAt, in40);
    assert.equal(await signedWith(v1Secret), 400);
    assert.equal(await signedWith('whsec_previous_v2'), 200);

    // v2 reaches its own expiry.
    await ds.query(`UPDATE vault_credential_versions SET expires_at = now() - interval '1 second' WHERE partner = 'razorpay' AND version = 2`);
    assert.equal((await vault.recheck()).retired, 1);
    vs = await byVersion('razorpay');
    assert.equal(vs.get(2).status, 'retired');
    assert.equal(await signedWith('whsec_previous_v2'), 400);
    assert.equal(await signedWith('whsec_current_v3'), 200);
  });

  it('previous versions open no credential alerts, and are never shown stale', async () => {
    const cld = { cloudName: 'novaskin-test', apiKey: '222222222222222', apiSecret: 'test-cloudinary-secret' };
    const alerts = api.app.get(AlertsService, { strict: false });
    await put('cloudinary', { fields: cld, expiresAt: new Date(Date.now() + 60 * DAY).toISOString(), rotateEveryDays: 1 });
    await ds.query(`UPDATE vault_credential_versions SET rotated_at = now() - interval '3 days' WHERE partner = 'cloudinary' AND version = 2`);
    await alerts.evaluateAll();
    assert.ok((await openAlerts('cloudinary')).includes('credential-stale'), 'the stale current version is alerted');

    await put('cloudinary', { fields: cld, expiresAt: new Date(Date.now() + 45 * DAY).toISOString() });
    await put('cloudinary', { fields: cld });
    let vs = await byVersion('cloudinary');
    // v2 was stale as current; replaced, it is judged by its end (60 days out) only.
    assert.deepEqual([vs.get(2).status, vs.get(2).health], ['previous', 'ok']);
    assert.deepEqual(await openAlerts('cloudinary'), [], 'rotating resolved the stale alert');

    // v3 nears its own end, then passes it (before the re-check retires it): the listing says so, no alert opens.
    await ds.query(`UPDATE vault_credential_versions SET expires_at = now() + interval '2 days' WHERE partner = 'cloudinary' AND version = 3`);
    await alerts.evaluateAll();
    vs = await byVersion('cloudinary');
    assert.deepEqual([vs.get(3).health, vs.get(3).expiringWithinDays], ['expiring', 7]);
    assert.deepEqual(await openAlerts('cloudinary'), []);
    await ds.query(`UPDATE vault_credential_versions SET expires_at = now() - interval '1 second' WHERE partner = 'cloudinary' AND version = 3`);
    await alerts.evaluateAll();
    assert.equal((await byVersion('cloudinary')).get(3).health, 'expired');
    assert.deepEqual(await openAlerts('cloudinary'), []);
    await vault.recheck();
    vs = await byVersion('cloudinary');
    assert.deepEqual([1, 2, 3, 4].map((v) => vs.get(v).status), ['previous', 'previous', 'retired', 'current']);
  });
});
