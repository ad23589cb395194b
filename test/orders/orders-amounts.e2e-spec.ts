import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestKey } from '../support/api-keys';
import { seedProduct, stockOf } from '../payments/support/orders-harness';
import { OrdersStack, startOrdersStack } from './support/orders-stack';

/** The catalog's highest price, 9,999,999,999.99, in paise. */
const TOP_PRICE_PAISE = 999_999_999_999;

describe('order totals beyond 2^53 paise', () => {
  let stack: OrdersStack;
  let writer: string;

  before(async () => {
    stack = await startOrdersStack('ordersamounts');
    await seedProduct(stack.api.app, 'BIG-1', 20_000, '9999999999.99');
    await seedProduct(stack.api.app, 'BIG-2', 20_000, '9999999999.99');
    writer = await createTestKey(stack.api.app, { scopes: ['orders:write', 'orders:read'] });
  });
  after(() => stack?.close());

  const post = (body: unknown, idem: string) =>
    fetch(`${stack.api.url}/v1/orders`, { method: 'POST', headers: { ...bearer(writer), 'content-type': 'application/json', 'idempotency-key': idem }, body: JSON.stringify(body) });
  const orderCount = async () => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM orders`))[0].n);

  it('refuses a total over Number.MAX_SAFE_INTEGER paise with 422 naming items, creating and reserving nothing', async () => {
    const rzpBefore = stack.razorpay.created();
    const before = await orderCount();
    // One line: 999999999999 * 9999 = 9998999999990001, which a JS number rounds.
    // Two lines, each exact on its own: the sum is what overflows.
    for (const [idem, items] of [
      ['big-one-line', [{ sku: 'BIG-1', quantity: 9999 }]],
      ['big-two-lines', [{ sku: 'BIG-1', quantity: 5000 }, { sku: 'BIG-2', quantity: 5000 }]],
    ] as const) {
      const res = await post({ channel: 'storefront', items }, idem);
      assert.equal(res.status, 422, idem);
      assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const body: any = await res.json();
      assert.ok(body.type.endsWith('/amount-too-large'), body.type);
      assert.ok(body.errors.some((e: any) => e.field === 'items'), JSON.stringify(body.errors));
    }
    assert.equal(stack.razorpay.created(), rzpBefore, 'no Razorpay order for an amount it would get wrong');
    assert.equal(await orderCount(), before);
    assert.deepEqual(await stockOf(stack.ds, 'BIG-1'), { onHand: 20_000, reserved: 0 });
  });

  it('keeps a total just under the limit exact, in the answer and in Postgres', async () => {
    const res = await post({ channel: 'amazon', items: [{ sku: 'BIG-1', quantity: 9007 }] }, 'big-at-limit');
    assert.equal(res.status, 201, await res.clone().text());
    const o: any = await res.json();
    assert.equal(o.amountMinor, TOP_PRICE_PAISE * 9007);
    assert.equal(o.amountMinor, 9_006_999_999_990_993);
    assert.equal(o.amount, '90069999999909.93');
    const [row] = await stack.ds.query(`SELECT amount_minor::text AS a FROM orders WHERE id = $1`, [o.id]);
    assert.equal(row.a, '9006999999990993');
  });
});
