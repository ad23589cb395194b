import '../support/test-env';
import { NYKAA_MAX_QUANTITY } from '@hub/channels';
import { Reconciler } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { waitUntil } from '../support/processes';
import { CatalogStack, startCatalogStack } from '../catalog/support/catalog-stack';
import { sampleProduct } from '../catalog/support/sample-product';

/**
 * "Every change reaches every channel": a stock above what Nykaa takes (0 to 1,000,000) reaches
 * Nykaa as 1,000,000, where it used to be refused while Nykaa kept showing the old figure. Amazon
 * and the storefront take the figure as is. Reconciliation does not take Nykaa's maximum for drift.
 */
describe('inventory: a stock above Nykaa maximum reaches Nykaa as its maximum (api + worker + partner sandbox)', () => {
  let stack: CatalogStack;

  before(async () => {
    stack = await startCatalogStack('inv-nykaa-cap', { env: { HUB_CHANNELS: 'amazon,nykaa,storefront', INVENTORY_OUTBOX_POLL_MS: '200', INVENTORY_RECONCILE_EVERY_MS: '3600000' } });
  });
  after(async () => {
    await stack?.close();
  });

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.api.url}${path}`, { method, headers: stack.admin, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: (await res.json().catch(() => null)) as any };
  };
  const shown = async (sku: string) => {
    const s = await stack.sb.state();
    const [sf] = await stack.ds.query(`SELECT quantity FROM storefront_listings WHERE sku = $1`, [sku]);
    return { amazon: s.amazon.listings[sku]?.quantity, nykaa: s.nykaa.listings[sku]?.quantity, storefront: sf?.quantity };
  };
  const channelStock = async (sku: string) => Object.fromEntries(((await call('GET', `/v1/inventory/${sku}`)).body.channels as any[]).map((c) => [c.channel, c]));
  const published = (sku: string) =>
    waitUntil(async () => {
      const chans: any[] = (await call('GET', `/v1/products/${sku}/channels`)).body.channels;
      return chans.length === 3 && chans.every((c) => c.status === 'published') ? chans : undefined;
    }, 10_000, 50).catch(async (err) => {
      throw new Error(`${err.message}: ${JSON.stringify((await call('GET', `/v1/products/${sku}/channels`)).body)}`);
    });
  const reconcileNykaa = () => stack.worker.get(Reconciler, { strict: false }).reconcileChannel('nykaa');

  it('PUT {"onHand": 10000001}: Nykaa shows 1,000,000 and the sync is synced, not failed; the others show 10,000,001', async () => {
    const sku = 'NS-CAP-PUT';
    assert.equal((await call('POST', '/v1/products', sampleProduct(sku, { stock: 40 }))).status, 201);
    await published(sku);
    assert.equal((await call('PUT', `/v1/inventory/${sku}`, { onHand: 10_000_001 })).status, 200);
    await waitUntil(async () => {
      const q = await shown(sku);
      return q.nykaa === NYKAA_MAX_QUANTITY && q.amazon === 10_000_001 && q.storefront === 10_000_001;
    }, 10_000, 50).catch(async (err) => {
      throw new Error(`${err.message}: ${JSON.stringify({ shown: await shown(sku), channels: await channelStock(sku) })}`);
    });
    await waitUntil(async () => Object.values(await channelStock(sku)).every((c: any) => c.state === 'synced'), 5_000, 50);
    const chans = await channelStock(sku);
    assert.equal(chans.nykaa.lastConfirmedQuantity, NYKAA_MAX_QUANTITY, 'what Nykaa shows, not what was asked');
    assert.equal(chans.nykaa.lastError, null);
    assert.equal(chans.amazon.lastConfirmedQuantity, 10_000_001);

    // Nykaa still shows exactly what it confirmed: not drift, nothing to push again.
    const report = await reconcileNykaa();
    assert.equal(report.drifted, 0, JSON.stringify(report));
    assert.ok(report.checked >= 1);

    // Back under the maximum, Nykaa follows the figure exactly again.
    assert.equal((await call('PUT', `/v1/inventory/${sku}`, { onHand: 999_999 })).status, 200);
    await waitUntil(async () => (await shown(sku)).nykaa === 999_999, 10_000, 50);
  });

  it('a product created with more stock than Nykaa takes is published there with 1,000,000, confirmed as such, and reconciliation finds no drift', async () => {
    const sku = 'NS-CAP-NEW';
    assert.equal((await call('POST', '/v1/products', sampleProduct(sku, { stock: 10_000_000 }))).status, 201);
    await published(sku);
    assert.deepEqual(await shown(sku), { amazon: 10_000_000, nykaa: NYKAA_MAX_QUANTITY, storefront: 10_000_000 });
    // The publisher records what Nykaa shows (its maximum), so no read-back ever finds drift.
    await waitUntil(async () => (await channelStock(sku)).nykaa.state === 'synced', 5_000, 50);
    assert.equal((await channelStock(sku)).nykaa.lastConfirmedQuantity, NYKAA_MAX_QUANTITY, 'confirmed as published, before any reconciliation');
    for (let run = 0; run < 2; run++) assert.equal((await reconcileNykaa()).drifted, 0, `run ${run}`);
    assert.equal((await channelStock(sku)).nykaa.lastConfirmedQuantity, NYKAA_MAX_QUANTITY);
    assert.equal((await shown(sku)).nykaa, NYKAA_MAX_QUANTITY);
  });

  it('a shortfall that is not the maximum is still drift, even where Nykaa once confirmed it', async () => {
    const sku = 'NS-CAP-SHORT';
    assert.equal((await call('POST', '/v1/products', sampleProduct(sku, { stock: 50 }))).status, 201);
    await published(sku);
    await waitUntil(async () => (await channelStock(sku)).nykaa.state === 'synced', 5_000, 50);
    // Nykaa shows (and had confirmed) 40 where the allocation is 50.
    const put = await stack.sb.call('PUT', `/nykaa/v1/sellers/${process.env.NYKAA_SELLER_ID}/inventory/${sku}`, { quantity: 40 }, { 'x-nykaa-api-key': process.env.NYKAA_API_KEY! });
    assert.equal(put.status, 200);
    await stack.ds.query(`UPDATE inventory_channel_sync SET last_confirmed_quantity = 40 WHERE sku = $1 AND channel = 'nykaa'`, [sku]);
    const report = await reconcileNykaa();
    assert.equal(report.drifted, 1);
    await waitUntil(async () => (await shown(sku)).nykaa === 50, 5_000, 50);
  });
});
