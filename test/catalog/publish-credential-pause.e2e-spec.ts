import '../support/test-env';
import { PendingSweeper } from '@hub/catalog';
import { ChannelSyncControl } from '@hub/core';
import { InventoryService } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunningApi } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import type { RunningSandbox } from '../sandbox/sandbox-harness';
import { CatalogStack, startCatalogStack } from './support/catalog-stack';
import { sampleProduct as product } from './support/sample-product';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('catalog: a refused credential pauses a listing until it works again (api + worker + partner sandbox in-process)', () => {
  let stack: CatalogStack;
  let sb: RunningSandbox;
  let api: RunningApi;
  let admin: Record<string, string>;

  before(async () => {
    stack = await startCatalogStack('catpause', {
      env: {
        HUB_CHANNELS: 'amazon,nykaa,storefront',
        CATALOG_PUBLISH_BACKOFF_MS: '200',
        CATALOG_PUBLISH_ATTEMPTS: '5',
        // Short, so a paused listing notices a working credential within the test's patience.
        CATALOG_PAUSED_RECHECK_MS: '300',
        INVENTORY_OUTBOX_POLL_MS: '200',
      },
    });
    ({ sb, api, admin } = stack);
  });
  after(async () => {
    await stack?.close();
  });

  const post = (path: string, body?: unknown) =>
    body === undefined ? fetch(`${api.url}${path}`, { method: 'POST', headers: { authorization: admin.authorization } }) : fetch(`${api.url}${path}`, { method: 'POST', headers: admin, body: JSON.stringify(body) });
  const channelsOf = async (sku: string) => ((await (await fetch(`${api.url}/v1/products/${sku}/channels`, { headers: admin })).json()) as any).channels as any[];
  const statusOf = async (sku: string, channel: string) => (await channelsOf(sku)).find((c) => c.channel === channel);
  const waitForStatuses = (sku: string, want: Record<string, string>, timeoutMs: number) =>
    waitUntil(async () => {
      const chans = await channelsOf(sku);
      const ok = Object.entries(want).every(([c, s]) => chans.find((x) => x.channel === c)?.status === s);
      return ok ? chans : undefined;
    }, timeoutMs, 50).catch(async (e) => {
      throw new Error(`${e.message}: ${JSON.stringify(await channelsOf(sku))}`);
    });
  /** Polls for `ms` and fails if the listing ever shows `failed`. */
  const neverFails = async (sku: string, channel: string, ms: number) => {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      const c = await statusOf(sku, channel);
      assert.notEqual(c?.status, 'failed', `${channel} listing of ${sku} went failed: ${c?.lastError}`);
      await sleep(100);
    }
  };

  it('an Amazon credential rejection leaves the listing paused, and once the credential works and the channel resumes it ends published', async () => {
    const control = api.app.get(ChannelSyncControl, { strict: false });
    await sb.fault({ partner: 'amazon', kind: 'reject-credentials' });
    assert.equal((await post('/v1/products', product('NS-CRED-AMZ', { channels: ['amazon', 'storefront'], stock: 19 }))).status, 201);
    const chans = await waitForStatuses('NS-CRED-AMZ', { amazon: 'paused', storefront: 'published' }, 10_000);
    assert.match(chans.find((c) => c.channel === 'amazon').lastError, /amazon rejected credential version \d+|amazon is paused/);
    assert.equal(await control.isPaused('amazon'), true, 'the vault paused the channel');
    // Several recheck periods: the listing waits, it does not give up.
    await neverFails('NS-CRED-AMZ', 'amazon', 1500);
    assert.equal((await statusOf('NS-CRED-AMZ', 'amazon')).status, 'paused');
    assert.equal((await sb.state()).amazon.listings['NS-CRED-AMZ'], undefined);

    // The credential works again (here: the partner stops refusing it); a verify resumes the channel.
    await sb.call('DELETE', '/_sandbox/faults');
    const verify = await post('/v1/vault/credentials/amazon/verify');
    assert.equal(verify.status, 200, JSON.stringify(await verify.clone().json()));
    assert.equal(((await verify.json()) as any).verification.ok, true);
    await waitUntil(async () => !(await control.isPaused('amazon')), 5000);
    const [amazon] = await waitForStatuses('NS-CRED-AMZ', { amazon: 'published' }, 10_000);
    assert.equal(amazon.lastError, null);
    assert.equal((await sb.state()).amazon.listings['NS-CRED-AMZ'].quantity, 19);
  });

  it('a Cloudinary credential rejection leaves the listing paused (no channel to pause), then publishes once Cloudinary accepts it', async () => {
    await sb.fault({ partner: 'cloudinary', kind: 'reject-credentials' });
    assert.equal((await post('/v1/products', product('NS-CRED-IMG', { channels: ['storefront'] }))).status, 201);
    const [sf] = await waitForStatuses('NS-CRED-IMG', { storefront: 'paused' }, 10_000);
    assert.match(sf.lastError, /cloudinary rejected credential version \d+/);
    assert.doesNotMatch(sf.lastError, /test-cloudinary-secret/);
    await neverFails('NS-CRED-IMG', 'storefront', 1000);
    await sb.call('DELETE', '/_sandbox/faults');
    const [published] = await waitForStatuses('NS-CRED-IMG', { storefront: 'published' }, 15_000);
    assert.ok(published.imageUrl, 'published with its image');
  });

  it('re-enqueues a paused listing whose job was lost, so it is published once the channel works', async () => {
    // NS-CRED-IMG is on the storefront only; fake a nykaa listing left paused without a job.
    await stack.ds.query(
      `INSERT INTO product_channels (sku, channel, status, wanted_version, last_error, updated_at)
       VALUES ('NS-CRED-IMG', 'nykaa', 'paused', 1, 'nykaa is paused', now() - interval '5 minutes')`,
    );
    assert.ok((await stack.worker.get(PendingSweeper, { strict: false }).sweep()) >= 1);
    await waitForStatuses('NS-CRED-IMG', { nykaa: 'published' }, 10_000);
    assert.equal((await sb.state()).nykaa.listings['NS-CRED-IMG'].quantity, 25);
  });

  it('a listing Amazon refused outright gets no stock pushes afterwards (they could only be refused too)', async () => {
    const inv = api.app.get(InventoryService, { strict: false });
    // 400 on the listing itself: a ListingRejectedError, final.
    await sb.fault({ partner: 'amazon', kind: 'server-error', status: 400, count: 1, match: 'NS-REFUSED-AMZ' });
    assert.equal((await post('/v1/products', product('NS-REFUSED-AMZ', { channels: ['amazon', 'nykaa'] }))).status, 201);
    const chans = await waitForStatuses('NS-REFUSED-AMZ', { amazon: 'failed', nykaa: 'published' }, 10_000);
    assert.match(chans.find((c) => c.channel === 'amazon').lastError, /amazon rejected the request/);
    const forSku = async () => ((await sb.state()).amazon.requestLog as any[]).filter((e) => e.sku === 'NS-REFUSED-AMZ');
    const before = await forSku();

    await inv.adjust('NS-REFUSED-AMZ', -5, 'damaged', null);
    // Nykaa, where the listing exists, gets the change; Amazon hears nothing about this SKU.
    await waitUntil(async () => (await sb.state()).nykaa.listings['NS-REFUSED-AMZ']?.quantity === 20, 5000);
    await sleep(1500);
    assert.deepEqual(await forSku(), before, 'no stock push to the refused Amazon listing');
    assert.deepEqual((await inv.channelStock('NS-REFUSED-AMZ')).map((c) => c.channel), ['nykaa']);

    // Publishing it again (a fixed product) tracks it again and it follows stock from then on.
    const patched = await fetch(`${api.url}/v1/products/NS-REFUSED-AMZ`, { method: 'PATCH', headers: admin, body: JSON.stringify({ name: 'NovaSkin Test NS-REFUSED-AMZ fixed' }) });
    assert.equal(patched.status, 200);
    await waitForStatuses('NS-REFUSED-AMZ', { amazon: 'published' }, 10_000);
    assert.equal((await sb.state()).amazon.listings['NS-REFUSED-AMZ'].quantity, 20);
    await inv.adjust('NS-REFUSED-AMZ', -2, 'damaged', null);
    await waitUntil(async () => (await sb.state()).amazon.listings['NS-REFUSED-AMZ']?.quantity === 18, 5000);
  });
});
