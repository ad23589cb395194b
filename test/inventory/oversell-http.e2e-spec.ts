import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fakeRazorpay, seedProduct } from '../payments/support/orders-harness';
import { bearer, createTestKey } from '../support/api-keys';
import { RunningApi, startApi } from '../support/hub-harness';
import { createTestDatabase, TestDatabase } from '../support/test-database';

const CHANNELS = ['storefront', 'amazon', 'nykaa'] as const;

/**
 * The race that oversold Vendure: many buyers, few units. Goes through the real POST /v1/orders
 * (storefront orders reserve, Amazon/Nykaa orders commit at once) so the whole request path is
 * under test, not only the service.
 */
describe('no overselling through HTTP: 200 concurrent orders of 1 unit on stock 10, across three channels', () => {
  let db: TestDatabase;
  let api: RunningApi;
  let razorpay: ReturnType<typeof fakeRazorpay>;
  let key: string;

  before(async () => {
    process.env.DB_POOL_SIZE = '30';
    db = await createTestDatabase('invoversell');
    razorpay = fakeRazorpay();
    api = await startApi();
    key = await createTestKey(api.app, { scopes: ['orders:write', 'orders:read', 'inventory:read'], limits: { burstPerSecond: 100_000 } });
  });
  after(async () => {
    razorpay?.stop();
    await api?.close();
    await db?.drop();
  });

  it('exactly 10 succeed, the rest get 409 insufficient-stock, 20 times over', async () => {
    for (let rep = 0; rep < 20; rep++) {
      const sku = `HTTP-OVS-${rep}`;
      await seedProduct(api.app, sku, 10);
      const statuses = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const res = await fetch(`${api.url}/v1/orders`, {
            method: 'POST',
            headers: { ...bearer(key), 'content-type': 'application/json', 'idempotency-key': `ovs-${rep}-${i}` },
            body: JSON.stringify({ channel: CHANNELS[i % 3], items: [{ sku, quantity: 1 }] }),
          });
          const body: any = await res.json();
          if (res.status === 409) assert.ok(body.type.endsWith('/insufficient-stock'), body.type);
          return res.status;
        }),
      );
      const created = statuses.filter((s) => s === 201).length;
      const refused = statuses.filter((s) => s === 409).length;
      assert.equal(created, 10, `repetition ${rep}: ${created} orders created (${JSON.stringify(statuses.filter((s) => s !== 201 && s !== 409))})`);
      assert.equal(refused, 190, `repetition ${rep}`);
      const res: any = await (await fetch(`${api.url}/v1/inventory/${sku}`, { headers: bearer(key) })).json();
      assert.equal(res.available, 0);
      assert.ok(res.onHand >= 0 && res.reserved >= 0 && res.reserved <= res.onHand);
      // Marketplace orders sold outright, storefront ones hold a reservation: together exactly 10 units.
      assert.equal(10 - res.onHand + res.reserved, 10);
    }
  });
});
