import '../support/test-env';
import { AmazonAdapter, ChannelsConfig, NykaaAdapter } from '@hub/channels';
import { ChannelSyncControl, CredentialRejectedError, loadConfig, Partner, PartnerCredentials, PartnerFields } from '@hub/core';
import { VaultService } from '@hub/vault';
import type { INestApplicationContext } from '@nestjs/common';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DataSource } from 'typeorm';
import { bearer } from '../support/api-keys';
import type { RunningApi } from '../support/hub-harness';
import { startVaultStack, VaultStack } from './support/vault-stack';
import { amazonFields, insertVersion } from './support/vault-helpers';

/**
 * A credential whose secret is right but whose seller is wrong passed verification (LWA and
 * Nykaa's key check know nothing of sellers), then failed on every push: the channel paused, the
 * re-check "recovered" it, the next push paused it again and opened new alerts, forever.
 */
describe('vault: verification proves the seller, not only the secret', () => {
  let stack: VaultStack;
  let sb: string;
  let api: RunningApi;
  let worker: INestApplicationContext;
  let key: string;
  let ds: DataSource;
  let vault: VaultService;
  let ctl: ChannelSyncControl;
  let cfg: ChannelsConfig;

  before(async () => {
    stack = await startVaultStack('sellerid');
    ({ sb, api, worker, key } = stack);
    ds = api.app.get(DataSource);
    vault = worker.get(VaultService, { strict: false });
    ctl = worker.get(ChannelSyncControl, { strict: false });
    cfg = loadConfig(ChannelsConfig, { AMAZON_LWA_URL: `${sb}/auth/o2/token`, AMAZON_SPAPI_URL: sb, NYKAA_API_URL: `${sb}/nykaa`, PARTNER_TIMEOUT_MS: '3000' });
  });
  after(async () => {
    await stack?.close();
  });

  const put = async (partner: string, fields: unknown) => {
    const res = await fetch(`${api.url}/v1/vault/credentials/${partner}`, { method: 'PUT', headers: { ...bearer(key), 'content-type': 'application/json' }, body: JSON.stringify({ fields }) });
    return { status: res.status, json: (await res.json()) as any };
  };
  const openAlert = async (kind: string, subject: string) => (await stack.openAlerts()).find((a) => a.kind === kind && a.subject === subject);
  const alertsEverOpened = async (kind: string, subject: string) => (await ds.query(`SELECT count(*)::int AS n FROM alerts WHERE kind = $1 AND subject = $2`, [kind, subject]))[0].n as number;
  /** A version that became current without today's checks (stored by an earlier release, or imported from .env). */
  const currentWithoutVerification = async <P extends Partner>(partner: P, fields: PartnerFields[P]) => {
    const v = await insertVersion(ds, vault, partner, fields, 'environment');
    await vault.promote(partner, v, { system: 'test' });
    return v;
  };

  it('PUT refuses a Nykaa key for another seller: 422 naming the sellerId, kept pending, nothing paused or alerted', async () => {
    const res = await put('nykaa', { apiKey: process.env.NYKAA_API_KEY, sellerId: 'NYK-TSET' });
    assert.equal(res.status, 422, JSON.stringify(res.json));
    assert.match(res.json.error, /belongs to seller NYK-TEST, not to sellerId NYK-TSET/);
    assert.equal(res.json.credentialStatus, 'pending');
    assert.equal(res.json.retryable, false);
    assert.equal(await ctl.isPaused('nykaa'), false);
    assert.equal(await openAlert('credential-failing', 'nykaa'), undefined);
  });

  it('PUT refuses Amazon credentials whose token cannot act for that seller or marketplace; the right ones verify', async () => {
    const secret = process.env.AMAZON_LWA_CLIENT_SECRET!;
    const seller = await put('amazon', { ...amazonFields(secret), sellerId: 'A1TESTSELLRE' });
    assert.equal(seller.status, 422, JSON.stringify(seller.json));
    assert.match(seller.json.error, /SP-API refused seller A1TESTSELLRE \(HTTP 403 Unauthorized/);
    assert.equal(seller.json.retryable, false);
    const market = await put('amazon', { ...amazonFields(secret), marketplaceId: 'A1F83G8C2ARO7P' });
    assert.equal(market.status, 422, JSON.stringify(market.json));
    assert.match(market.json.error, /marketplace A1F83G8C2ARO7P \(HTTP 400 InvalidInput/);
    // The seller check reads a SKU nobody lists: Amazon's 404 means the token may act for the seller.
    const right = await put('amazon', amazonFields(secret));
    assert.equal(right.status, 201, JSON.stringify(right.json));
    assert.equal(right.json.credential.status, 'current');
    const log: any[] = ((await (await fetch(`${sb}/_sandbox/state`)).json()) as any).amazon.requestLog;
    assert.deepEqual(log.filter((e) => e.op === 'getListingsItem').map((e) => e.status), [403, 400, 404]);
  });

  it("a throttled seller check waits for the seller's rate limit instead of refusing the credential", async () => {
    // The check shares the seller's 5/s with the channel's own pushes, which may have just drained it.
    await fetch(`${sb}/_sandbox/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ partner: 'amazon', kind: 'rate-limit', match: '/listings/', count: 2, retryAfterSeconds: 1 }) });
    const res = await put('amazon', amazonFields(process.env.AMAZON_LWA_CLIENT_SECRET!));
    assert.equal(res.status, 201, JSON.stringify(res.json));
    const log: any[] = ((await (await fetch(`${sb}/_sandbox/state`)).json()) as any).amazon.requestLog;
    assert.deepEqual(log.filter((e) => e.op === 'getListingsItem').slice(-3).map((e) => e.status), [429, 429, 404]);
  });

  for (const c of [
    { partner: 'nykaa' as const, wrong: (): PartnerFields['nykaa'] => ({ apiKey: process.env.NYKAA_API_KEY!, sellerId: 'NYK-TSET' }), right: () => ({ apiKey: process.env.NYKAA_API_KEY, sellerId: process.env.NYKAA_SELLER_ID }), reason: /belongs to seller NYK-TEST/ },
    { partner: 'amazon' as const, wrong: () => ({ ...amazonFields(process.env.AMAZON_LWA_CLIENT_SECRET!), sellerId: 'A1TESTSELLRE' }) as PartnerFields['amazon'], right: () => amazonFields(process.env.AMAZON_LWA_CLIENT_SECRET!), reason: /SP-API refused seller A1TESTSELLRE/ },
  ]) {
    it(`${c.partner}: a current version with a wrong sellerId stays failing and paused through the re-check (one alert, no flapping) until a right one is PUT`, async () => {
      await stack.clearFaults();
      const creds = worker.get(PartnerCredentials, { strict: false });
      const adapter = c.partner === 'nykaa' ? new NykaaAdapter(cfg, creds) : new AmazonAdapter(cfg, creds);
      const version = await currentWithoutVerification(c.partner, c.wrong());

      // The first sync is refused for the seller: the channel pauses and the alerts open.
      await assert.rejects(adapter.fetchQuantity('NS-SELLER-CHECK'), CredentialRejectedError);
      assert.equal(await ctl.isPaused(c.partner), true);
      const failing = await openAlert('credential-failing', c.partner);
      assert.ok(failing, 'credential-failing is open');
      assert.ok(await openAlert('channel-sync-paused', c.partner));

      // The re-check asks the partner about the seller too, so it does not call this recovered.
      const r = await vault.recheck();
      assert.ok(r.rechecked.includes(c.partner));
      assert.ok(!r.recovered.includes(c.partner), `recovered: ${JSON.stringify(r.recovered)}`);
      assert.equal(await ctl.isPaused(c.partner), true);
      assert.equal((await openAlert('credential-failing', c.partner))?.id, failing.id, 'the same alert stays open');
      const [row] = await ds.query(`SELECT status, last_error FROM vault_credential_versions WHERE partner = $1 AND version = $2`, [c.partner, version]);
      assert.equal(row.status, 'current');
      assert.match(row.last_error, c.reason);

      // The next push fails the same way and opens nothing new.
      await assert.rejects(adapter.fetchQuantity('NS-SELLER-CHECK'), CredentialRejectedError);
      assert.equal(await alertsEverOpened('credential-failing', c.partner), 1);
      assert.equal(await alertsEverOpened('channel-sync-paused', c.partner), 1);

      // The right credential resumes the channel and resolves the alerts.
      const fixed = await put(c.partner, c.right());
      assert.equal(fixed.status, 201, JSON.stringify(fixed.json));
      assert.equal(await ctl.isPaused(c.partner), false);
      assert.equal(await openAlert('credential-failing', c.partner), undefined);
      assert.equal(await openAlert('channel-sync-paused', c.partner), undefined);
      assert.equal(await adapter.fetchQuantity('NS-SELLER-CHECK'), null, 'a listing the seller does not have, asked with the right seller');
    });
  }
});
