import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { createValidationPipe, ProblemException } from '@hub/core';
import { InventoryService } from '@hub/inventory';
import { CreateOrderDto } from '@hub/orders';
import { startWorker } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { deliver, razorpayEvent, seedProduct, stockOf, testAuth } from '../payments/support/orders-harness';
import { OrdersStack, startOrdersStack } from './support/orders-stack';

async function rejects(p: Promise<unknown>, status: number, slug: string, field?: string): Promise<ProblemException> {
  let caught: unknown;
  await p.catch((e) => (caught = e));
  assert.ok(caught instanceof ProblemException, `expected a ${status} ${slug} problem, got ${String(caught)}`);
  assert.equal(caught.getStatus(), status);
  assert.equal(caught.slug, slug);
  if (field) assert.ok(((caught.problem.extensions?.errors as { field: string }[]) ?? []).some((e) => e.field === field), `field ${field} in ${JSON.stringify(caught.problem.extensions)}`);
  return caught;
}

describe('orders: create, idempotency, cancel, marketplaces, expiry and late capture', () => {
  let stack: OrdersStack;
  const orderCount = async () => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM orders`))[0].n);

  before(async () => {
    stack = await startOrdersStack('orders', { env: { ORDER_RESERVATION_TTL_SECONDS: '2', ORDER_EXPIRY_SWEEP_SECONDS: '1' } });
  });
  after(() => stack?.close());

  it('reserves storefront stock and returns the Razorpay order id and the amount in paise', async () => {
    await seedProduct(stack.api.app, 'OR-A', 10, '899.10');
    await seedProduct(stack.api.app, 'OR-B', 10, '250');
    const before = stack.razorpay.created();
    const res = await stack.orders.create(testAuth(), 'create-1', { channel: 'storefront', items: [{ sku: 'OR-A', quantity: 2 }, { sku: 'OR-B', quantity: 1 }], customer: { email: 'asha@example.com' } } as CreateOrderDto);
    assert.equal(res.status, 201);
    const o = res.body;
    assert.equal(o.status, 'pending-payment');
    assert.equal(o.amountMinor, 2 * 89910 + 25000);
    assert.equal(o.amount, '2048.20');
    assert.match(o.razorpay!.orderId, /^order_/);
    assert.equal(o.razorpay!.amount, o.amountMinor);
    assert.equal(o.reservation.status, 'held');
    assert.ok(Date.parse(o.reservation.expiresAt!) > Date.now());
    assert.equal(stack.razorpay.created(), before + 1);
    assert.deepEqual(await stockOf(stack.ds, 'OR-A'), { onHand: 10, reserved: 2 });
    assert.deepEqual(await stockOf(stack.ds, 'OR-B'), { onHand: 10, reserved: 1 });

    // Same key, same body: the first response, no second Razorpay order, no second reservation.
    const again = await stack.orders.create(testAuth(), 'create-1', { channel: 'storefront', items: [{ sku: 'OR-A', quantity: 2 }, { sku: 'OR-B', quantity: 1 }], customer: { email: 'asha@example.com' } } as CreateOrderDto);
    assert.equal(again.replayed, true);
    assert.equal(again.body.id, o.id);
    assert.equal(stack.razorpay.created(), before + 1);
    assert.deepEqual(await stockOf(stack.ds, 'OR-A'), { onHand: 10, reserved: 2 });
    // Same key, different body: refused.
    await rejects(stack.orders.create(testAuth(), 'create-1', { channel: 'storefront', items: [{ sku: 'OR-A', quantity: 3 }] } as CreateOrderDto), 422, 'idempotency-key-reused');
  });

  it('reserves nothing when any line is short, a SKU is unknown or repeated, or the key is bound elsewhere', async () => {
    await seedProduct(stack.api.app, 'OR-SHORT', 1);
    await seedProduct(stack.api.app, 'OR-PLENTY', 50);
    const n = await orderCount();
    const p = await rejects(stack.orders.create(testAuth(), 'short-1', { channel: 'storefront', items: [{ sku: 'OR-PLENTY', quantity: 5 }, { sku: 'OR-SHORT', quantity: 2 }] } as CreateOrderDto), 409, 'insufficient-stock');
    assert.match(p.detail, /OR-SHORT/);
    await rejects(stack.orders.create(testAuth(), 'unknown-1', { channel: 'storefront', items: [{ sku: 'OR-PLENTY', quantity: 1 }, { sku: 'NO-SUCH-SKU', quantity: 1 }] } as CreateOrderDto), 422, 'unknown-sku', 'items.1.sku');
    await rejects(stack.orders.create(testAuth(), 'dupe-1', { channel: 'storefront', items: [{ sku: 'OR-PLENTY', quantity: 1 }, { sku: 'OR-PLENTY', quantity: 1 }] } as CreateOrderDto), 400, 'validation-failed', 'items.1.sku');
    await rejects(stack.orders.create(testAuth(['amazon']), 'bound-1', { channel: 'storefront', items: [{ sku: 'OR-PLENTY', quantity: 1 }] } as CreateOrderDto), 403, 'channel-not-allowed');
    await rejects(stack.orders.create(testAuth(), undefined, { channel: 'storefront', items: [{ sku: 'OR-PLENTY', quantity: 1 }] } as CreateOrderDto), 400, 'missing-idempotency-key');
    assert.equal(await orderCount(), n, 'no order rows');
    assert.deepEqual(await stockOf(stack.ds, 'OR-PLENTY'), { onHand: 50, reserved: 0 });
    assert.deepEqual(await stockOf(stack.ds, 'OR-SHORT'), { onHand: 1, reserved: 0 });
    // The idempotency key of a refused request is free to use again.
    const ok = await stack.orders.create(testAuth(), 'short-1', { channel: 'storefront', items: [{ sku: 'OR-PLENTY', quantity: 5 }, { sku: 'OR-SHORT', quantity: 1 }] } as CreateOrderDto);
    assert.equal(ok.status, 201);
  });

  it('answers 503 and reserves nothing when Razorpay is down', async () => {
    await seedProduct(stack.api.app, 'OR-RZPDOWN', 3);
    const n = await orderCount();
    stack.razorpay.failWith(503);
    try {
      const p = await rejects(stack.orders.create(testAuth(), 'down-1', { channel: 'storefront', items: [{ sku: 'OR-RZPDOWN', quantity: 1 }] } as CreateOrderDto), 503, 'payment-provider-unavailable');
      assert.ok(p.problem.headers?.['Retry-After']);
    } finally {
      stack.razorpay.failWith(null);
    }
    assert.equal(await orderCount(), n);
    assert.deepEqual(await stockOf(stack.ds, 'OR-RZPDOWN'), { onHand: 3, reserved: 0 });
    const retried = await stack.orders.create(testAuth(), 'down-1', { channel: 'storefront', items: [{ sku: 'OR-RZPDOWN', quantity: 1 }] } as CreateOrderDto);
    assert.equal(retried.status, 201);
  });

  it('takes marketplace stock at once for a key bound to that channel, without Razorpay', async () => {
    await seedProduct(stack.api.app, 'OR-MKT', 5);
    const before = stack.razorpay.created();
    const res = await stack.orders.create(testAuth(['amazon']), 'amz-1', { channel: 'amazon', externalId: '402-0000001-0000001', items: [{ sku: 'OR-MKT', quantity: 2 }] } as CreateOrderDto);
    assert.equal(res.body.status, 'paid');
    assert.equal(res.body.razorpay, null);
    assert.equal(res.body.reservation.status, 'committed');
    assert.equal(stack.razorpay.created(), before);
    assert.deepEqual(await stockOf(stack.ds, 'OR-MKT'), { onHand: 3, reserved: 0 });
    await rejects(stack.orders.create(testAuth(['amazon']), 'amz-2', { channel: 'amazon', externalId: '402-0000001-0000001', items: [{ sku: 'OR-MKT', quantity: 1 }] } as CreateOrderDto), 409, 'duplicate-order', 'externalId');
    await rejects(stack.orders.create(testAuth(['amazon']), 'nyk-1', { channel: 'nykaa', items: [{ sku: 'OR-MKT', quantity: 1 }] } as CreateOrderDto), 403, 'channel-not-allowed');
    await rejects(stack.orders.cancel(testAuth(), res.body.id, 'x'), 409, 'order-not-cancellable');
    // A key bound to another channel does not see the order at all.
    await rejects(stack.orders.get(testAuth(['nykaa']), res.body.id), 404, 'not-found');
    assert.deepEqual(await stockOf(stack.ds, 'OR-MKT'), { onHand: 3, reserved: 0 });
  });

  it('locks the stock row only at the end of the order transaction, so a slow order does not hold up a hot SKU', async () => {
    await seedProduct(stack.api.app, 'OR-HOT', 10, '100');
    // Hold the audit table so the order's transaction stops at its audit insert.
    const blocker = stack.ds.createQueryRunner();
    await blocker.connect();
    await blocker.startTransaction();
    await blocker.query(`LOCK TABLE audit_events IN EXCLUSIVE MODE`);
    let created: Promise<unknown> | undefined;
    try {
      created = stack.orders.create(testAuth(), 'hot-slow', { channel: 'amazon', externalId: '402-0000009-0000009', items: [{ sku: 'OR-HOT', quantity: 1 }] } as CreateOrderDto).catch((e) => e);
      await waitUntil(async () => (await stack.ds.query(`SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'audit_events'::regclass AND NOT granted`))[0].n > 0, 5_000, 20);
      // Meanwhile another sale of the same SKU must not wait for the stuck order.
      const t0 = Date.now();
      const inv = stack.api.app.get(InventoryService, { strict: false });
      await Promise.race([
        stack.ds.transaction((m) => inv.sellDirect(m, { orderId: 'hot-other', channel: 'nykaa', lines: [{ lineId: '1', sku: 'OR-HOT', quantity: 1 }] })),
        new Promise((_, reject) => setTimeout(() => reject(new Error('the stock row was locked by the stuck order')), 2_000)),
      ]);
      assert.ok(Date.now() - t0 < 2_000);
    } finally {
      await blocker.commitTransaction();
      await blocker.release();
    }
    const res = (await created) as { status: number };
    assert.equal(res.status, 201);
    assert.equal((await stockOf(stack.ds, 'OR-HOT')).onHand, 8);
  });

  it('cancels an unpaid order, releasing its stock once', async () => {
    await seedProduct(stack.api.app, 'OR-CANCEL', 4);
    const { body } = await stack.orders.create(testAuth(), 'cancel-1', { channel: 'storefront', items: [{ sku: 'OR-CANCEL', quantity: 3 }] } as CreateOrderDto);
    assert.deepEqual(await stockOf(stack.ds, 'OR-CANCEL'), { onHand: 4, reserved: 3 });
    const c = await stack.orders.cancel(testAuth(), body.id, 'customer asked');
    assert.equal(c.status, 'cancelled');
    assert.equal(c.reservation.status, 'released');
    assert.equal((await stack.orders.cancel(testAuth(), body.id, undefined)).status, 'cancelled');
    assert.deepEqual(await stockOf(stack.ds, 'OR-CANCEL'), { onHand: 4, reserved: 0 });
    await rejects(stack.orders.get(testAuth(), '00000000-0000-4000-8000-000000000000'), 404, 'not-found');
  });

  it('names every bad field of a create request (empty items, zero or negative quantity, too many lines, unknown channel)', async () => {
    const pipe = createValidationPipe();
    const check = async (body: unknown, field: string) => {
      const err = await pipe.transform(body, { type: 'body', metatype: CreateOrderDto }).then(() => null, (e) => e);
      assert.ok(err instanceof ProblemException, `${JSON.stringify(body).slice(0, 80)} should fail`);
      const fields = (err.problem.extensions!.errors as { field: string }[]).map((e) => e.field);
      assert.ok(fields.includes(field), `${field} in ${fields.join(',')}`);
    };
    await check({ channel: 'storefront', items: [] }, 'items');
    await check({ channel: 'storefront', items: [{ sku: 'A', quantity: 0 }] }, 'items.0.quantity');
    await check({ channel: 'storefront', items: [{ sku: 'A', quantity: -2 }] }, 'items.0.quantity');
    await check({ channel: 'storefront', items: [{ sku: 'A', quantity: 1.5 }] }, 'items.0.quantity');
    await check({ channel: 'storefront', items: Array.from({ length: 101 }, (_, i) => ({ sku: `S${i}`, quantity: 1 })) }, 'items');
    await check({ channel: 'ebay', items: [{ sku: 'A', quantity: 1 }] }, 'channel');
    await check({ channel: 'storefront' }, 'items');
    await check({ channel: 'storefront', items: [{ sku: '', quantity: 1 }] }, 'items.0.sku');
    const ok = await pipe.transform({ channel: 'storefront', items: [{ sku: 'A', quantity: 1 }] }, { type: 'body', metatype: CreateOrderDto });
    assert.equal(ok.items[0].quantity, 1);
  });

  it('expires unpaid reservations through the worker; a late capture re-reserves, or marks the order paid-out-of-stock', async () => {
    await seedProduct(stack.api.app, 'OR-EXP', 2);
    await seedProduct(stack.api.app, 'OR-GONE', 1);
    const late = (await stack.orders.create(testAuth(), 'exp-1', { channel: 'storefront', items: [{ sku: 'OR-EXP', quantity: 2 }] } as CreateOrderDto)).body;
    const gone = (await stack.orders.create(testAuth(), 'exp-2', { channel: 'storefront', items: [{ sku: 'OR-GONE', quantity: 1 }] } as CreateOrderDto)).body;
    assert.deepEqual(await stockOf(stack.ds, 'OR-EXP'), { onHand: 2, reserved: 2 });

    // The real worker process's module, with its repeatable expiry sweep (every ORDER_EXPIRY_SWEEP_SECONDS).
    const worker: INestApplicationContext = await startWorker();
    try {
      await waitUntil(async () => (await stack.orders.get(undefined, late.id)).status === 'expired' && (await stack.orders.get(undefined, gone.id)).status === 'expired', 10_000, 200);
    } finally {
      await worker.close();
    }
    assert.deepEqual(await stockOf(stack.ds, 'OR-EXP'), { onHand: 2, reserved: 0 }, 'expired hold released');
    assert.deepEqual(await stockOf(stack.ds, 'OR-GONE'), { onHand: 1, reserved: 0 });
    // Expired because Razorpay reported no payment, not because it could not be asked.
    for (const o of [late, gone]) assert.equal((await stack.orders.get(undefined, o.id)).statusReason, 'reservation expired');

    // The last OR-GONE unit sells on Amazon meanwhile.
    await stack.orders.create(testAuth(['amazon']), 'exp-amz', { channel: 'amazon', items: [{ sku: 'OR-GONE', quantity: 1 }] } as CreateOrderDto);

    const r1 = await deliver(stack.api.url, 'evt_late_1', JSON.stringify(razorpayEvent('payment.captured', late.razorpay!.orderId, 'pay_Late000000001', late.amountMinor)));
    assert.equal(((await r1.json()) as any).outcome, 'order-paid-re-reserved');
    const paid = await stack.orders.get(undefined, late.id);
    assert.equal(paid.status, 'paid');
    assert.deepEqual(await stockOf(stack.ds, 'OR-EXP'), { onHand: 0, reserved: 0 }, 'stock taken again and sold');

    const r2 = await deliver(stack.api.url, 'evt_late_2', JSON.stringify(razorpayEvent('payment.captured', gone.razorpay!.orderId, 'pay_Gone000000001', gone.amountMinor)));
    assert.equal(((await r2.json()) as any).outcome, 'order-paid-out-of-stock');
    const oos = await stack.orders.get(undefined, gone.id);
    assert.equal(oos.status, 'paid-out-of-stock');
    assert.match(oos.statusReason!, /refund/);
    assert.deepEqual(await stockOf(stack.ds, 'OR-GONE'), { onHand: 0, reserved: 0 }, 'no oversell');
    // A later order.paid and payment.failed change nothing.
    await deliver(stack.api.url, 'evt_late_3', JSON.stringify(razorpayEvent('payment.failed', gone.razorpay!.orderId, 'pay_Gone000000002', gone.amountMinor)));
    assert.equal((await stack.orders.get(undefined, gone.id)).status, 'paid-out-of-stock');

    const refunds = await stack.orders.list(testAuth(), { status: 'paid-out-of-stock' });
    assert.deepEqual(refunds.data.map((o) => o.id), [gone.id]);
  });
});
