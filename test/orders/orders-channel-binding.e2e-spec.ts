import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { answer, seedProduct, stockOf } from '../payments/support/orders-harness';
import { bearer, createTestKey } from '../support/api-keys';
import { OrdersStack, startOrdersStack } from './support/orders-stack';

/**
 * CONTRACT "API keys": a key bound to channels only touches those channels' resources. An order
 * of such a key may only take products sold on the order's channel; any other SKU is refused
 * exactly like an unknown one (422 `unknown-sku`), so the key can neither sell, reserve or price
 * another channel's product nor learn that it exists.
 */
describe('orders for channel-bound keys: only products sold on the order\'s channel', () => {
  let stack: OrdersStack;
  let storefront: string;
  let amazon: string;
  let both: string;
  let admin: string;
  const orderCount = async () => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM orders`))[0].n);

  before(async () => {
    stack = await startOrdersStack('ordersbinding');
    await seedProduct(stack.api.app, 'OB-AMZ', 10, '1200.00', ['amazon']);
    await seedProduct(stack.api.app, 'OB-SF', 10, '499.00', ['storefront']);
    const scopes = ['orders:write', 'orders:read'] as const;
    storefront = await createTestKey(stack.api.app, { scopes: [...scopes], channels: ['storefront'] });
    amazon = await createTestKey(stack.api.app, { scopes: [...scopes], channels: ['amazon'] });
    both = await createTestKey(stack.api.app, { scopes: [...scopes], channels: ['storefront', 'amazon'] });
    admin = await createTestKey(stack.api.app, { scopes: [...scopes] });
  });
  after(() => stack?.close());

  let n = 0;
  const order = (key: string, channel: string, skus: string[]) =>
    fetch(`${stack.api.url}/v1/orders`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json', 'idempotency-key': `ob-${++n}` },
      body: JSON.stringify({ channel, items: skus.map((sku) => ({ sku, quantity: 1 })) }),
    });

  it('refuses a storefront order for an Amazon-only product exactly like an unknown SKU, reserving and pricing nothing', async () => {
    const rzpBefore = stack.razorpay.created();
    const ordersBefore = await orderCount();
    for (const key of [storefront, both]) {
      const hidden = await answer(await order(key, 'storefront', ['OB-SF', 'OB-AMZ']), 'OB-AMZ');
      const missing = await answer(await order(key, 'storefront', ['OB-SF', 'OB-NOPE']), 'OB-NOPE');
      assert.equal(hidden.status, 422, JSON.stringify(hidden.body));
      assert.ok(hidden.body.type.endsWith('/unknown-sku'));
      assert.deepEqual(hidden.body.errors.map((e: any) => e.field), ['items.1.sku']);
      assert.deepEqual(hidden, missing, 'the refusal must not reveal that OB-AMZ exists');
    }
    assert.deepEqual(await stockOf(stack.ds, 'OB-AMZ'), { onHand: 10, reserved: 0 });
    assert.deepEqual(await stockOf(stack.ds, 'OB-SF'), { onHand: 10, reserved: 0 });
    assert.equal(stack.razorpay.created(), rzpBefore, 'no Razorpay order for a refused order');
    assert.equal(await orderCount(), ordersBefore);
  });

  it('refuses an Amazon order for a storefront-only product the same way (no sale recorded)', async () => {
    const hidden = await answer(await order(amazon, 'amazon', ['OB-SF']), 'OB-SF');
    const missing = await answer(await order(amazon, 'amazon', ['OB-NOPE']), 'OB-NOPE');
    assert.equal(hidden.status, 422);
    assert.deepEqual(hidden, missing);
    assert.deepEqual(await stockOf(stack.ds, 'OB-SF'), { onHand: 10, reserved: 0 });
  });

  it('accepts products sold on the order\'s channel', async () => {
    const sf = await order(storefront, 'storefront', ['OB-SF']);
    assert.equal(sf.status, 201, await sf.clone().text());
    assert.equal(((await sf.json()) as any).amountMinor, 49900);
    const amz = await order(amazon, 'amazon', ['OB-AMZ']);
    assert.equal(amz.status, 201, await amz.clone().text());
    assert.deepEqual(await stockOf(stack.ds, 'OB-SF'), { onHand: 10, reserved: 1 });
    assert.deepEqual(await stockOf(stack.ds, 'OB-AMZ'), { onHand: 9, reserved: 0 });
  });

  it('an unbound key keeps full access (an admin may record an order of any product on any channel)', async () => {
    const res = await order(admin, 'storefront', ['OB-AMZ']);
    assert.equal(res.status, 201, await res.clone().text());
    assert.deepEqual(await stockOf(stack.ds, 'OB-AMZ'), { onHand: 9, reserved: 1 });
  });
});
