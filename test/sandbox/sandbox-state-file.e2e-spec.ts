import '../support/test-env';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startSandbox } from './sandbox-harness';

const env = process.env;
const MKT = 'A21TJRUUN4KGV';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('partner sandbox: listings survive a restart with SANDBOX_STATE_FILE', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'sandbox-state-'));
  });
  after(() => {
    env.SANDBOX_STATE_FILE = 'none';
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps Amazon and Nykaa listings (quantities included) across close and start; with `none`, memory only', async () => {
    const file = join(dir, 'state.json');
    env.SANDBOX_STATE_FILE = file;
    const first = await startSandbox();
    assert.equal(first.sandbox.stateFile, file);
    const token = (
      await first.call(
        'POST',
        '/auth/o2/token',
        new URLSearchParams({ grant_type: 'refresh_token', refresh_token: env.AMAZON_LWA_REFRESH_TOKEN!, client_id: env.AMAZON_LWA_CLIENT_ID!, client_secret: env.AMAZON_LWA_CLIENT_SECRET! }).toString(),
        FORM,
      )
    ).body.access_token as string;
    const amazonItem = `/listings/2021-08-01/items/${env.AMAZON_SELLER_ID}/NS-KEEP-1?marketplaceIds=${MKT}`;
    const put = await first.call(
      'PUT',
      amazonItem,
      {
        productType: 'BEAUTY',
        requirements: 'LISTING',
        attributes: {
          item_name: [{ value: 'Kept serum', language_tag: 'en_IN', marketplace_id: MKT }],
          list_price: [{ value: 899, currency: 'INR' }],
          fulfillment_availability: [{ fulfillment_channel_code: 'DEFAULT', quantity: 17 }],
        },
      },
      { 'x-amz-access-token': token },
    );
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const nykaaAuth = { 'x-nykaa-api-key': env.NYKAA_API_KEY! };
    const nykaaPath = `/nykaa/v1/sellers/${env.NYKAA_SELLER_ID}/listings/NS-KEEP-1`;
    const nput = await first.call('PUT', nykaaPath, { title: 'Kept serum', description: 'Fake sample product', category: 'skincare/serums', price: { amount: '899.00', currency: 'INR' }, imageUrl: 'https://img.example.test/k.jpg', quantity: 9 }, nykaaAuth);
    assert.ok(nput.status === 200 || nput.status === 201, JSON.stringify(nput.body));
    await first.close();
    assert.ok(JSON.parse(readFileSync(file, 'utf8')).amazon.listings.length === 1, 'saved on close');

    const second = await startSandbox();
    try {
      const state = await second.state();
      assert.equal(state.amazon.listings['NS-KEEP-1'].quantity, 17);
      assert.equal(state.nykaa.listings['NS-KEEP-1'].quantity, 9);
    } finally {
      await second.close();
    }

    // An unreadable file starts the sandbox empty instead of stopping it.
    writeFileSync(file, '{not json');
    const third = await startSandbox();
    try {
      assert.deepEqual((await third.state()).amazon.listings, {});
    } finally {
      await third.close();
    }

    env.SANDBOX_STATE_FILE = 'none';
    const memoryOnly = await startSandbox();
    try {
      assert.equal(memoryOnly.sandbox.stateFile, null, 'none: nothing read or written');
      assert.deepEqual((await memoryOnly.state()).nykaa.listings, {});
    } finally {
      await memoryOnly.close();
    }
  });
});
