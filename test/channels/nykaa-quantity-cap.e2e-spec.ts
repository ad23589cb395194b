import '../support/test-env';
import { AmazonAdapter, NYKAA_MAX_QUANTITY, NykaaAdapter } from '@hub/channels';
import { MAX_QUANTITY } from '@hub/inventory';
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { RunningSandbox, startSandbox } from '../sandbox/sandbox-harness';
import { freshSandboxAdapters, sampleListing } from './support/sandbox-adapters';

const listing = (sku: string, quantity: number) => sampleListing(sku, quantity, `NovaSkin Cap Test ${sku}`);

/**
 * The hub holds up to MAX_QUANTITY (10^9) units; Nykaa takes a quantity from 0 to 1,000,000 and
 * refuses anything above. Its adapter sends what Nykaa can show, so a large stock still reaches it.
 */
describe('Nykaa adapter: quantities above what Nykaa takes are sent as its maximum (partner sandbox)', () => {
  let sb: RunningSandbox;
  let nykaa: NykaaAdapter;
  let amazon: AmazonAdapter;

  before(async () => {
    sb = await startSandbox();
  });
  after(() => sb?.close());
  beforeEach(async () => {
    ({ amazon, nykaa } = await freshSandboxAdapters(sb));
  });

  it('the maximum is the one Nykaa enforces: one more unit is refused when sent as is', async () => {
    assert.equal(NYKAA_MAX_QUANTITY, 1_000_000);
    const body = { title: 'Raw', category: 'serum', price: { amount: '899.00', currency: 'INR' }, imageUrl: 'https://images.novaskin.example/raw.jpg', quantity: NYKAA_MAX_QUANTITY + 1 };
    const refused = await sb.call('PUT', `/nykaa/v1/sellers/${process.env.NYKAA_SELLER_ID}/listings/NS-CAP-RAW`, body, { 'x-nykaa-api-key': process.env.NYKAA_API_KEY! });
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.field, 'quantity');
  });

  it('publish, single and bulk pushes of more than 1,000,000 are accepted, showing 1,000,000 and confirming it', async () => {
    assert.equal((await nykaa.publishListing(listing('NS-CAP-1', 10_000_001))).status, 'published');
    assert.equal((await sb.state()).nykaa.listings['NS-CAP-1'].quantity, NYKAA_MAX_QUANTITY);

    assert.deepEqual(await nykaa.updateQuantity('NS-CAP-1', MAX_QUANTITY), { confirmedQuantity: NYKAA_MAX_QUANTITY });
    assert.equal(await nykaa.fetchQuantity('NS-CAP-1'), NYKAA_MAX_QUANTITY);
    assert.deepEqual(await nykaa.updateQuantity('NS-CAP-1', 12), { confirmedQuantity: 12 }, 'below the maximum nothing changes');

    await nykaa.publishListing(listing('NS-CAP-2', 3));
    const results = await nykaa.updateQuantities([
      { sku: 'NS-CAP-1', quantity: 10_000_001 },
      { sku: 'NS-CAP-2', quantity: NYKAA_MAX_QUANTITY },
    ]);
    assert.deepEqual(results, [
      { sku: 'NS-CAP-1', confirmedQuantity: NYKAA_MAX_QUANTITY },
      { sku: 'NS-CAP-2', confirmedQuantity: NYKAA_MAX_QUANTITY },
    ]);
    const shown = (await sb.state()).nykaa.listings;
    assert.deepEqual([shown['NS-CAP-1'].quantity, shown['NS-CAP-2'].quantity], [NYKAA_MAX_QUANTITY, NYKAA_MAX_QUANTITY]);
  });

  it('Amazon has no such cap (any non-negative integer): it is sent the hub maximum as is', async () => {
    assert.equal((await amazon.publishListing(listing('NS-CAP-AMZ', 10_000_001))).status, 'published');
    assert.deepEqual(await amazon.updateQuantity('NS-CAP-AMZ', MAX_QUANTITY), { confirmedQuantity: MAX_QUANTITY });
    assert.equal(await amazon.fetchQuantity('NS-CAP-AMZ'), MAX_QUANTITY);
  });
});
