import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { InventoryConfig, InventoryService } from '@hub/inventory';
import type { EntityManager } from 'typeorm';
import { OrdersStack, startOrdersStack } from '../orders/support/orders-stack';
import { deliver, newStorefrontOrder, razorpayEvent, seedProduct, testAuth } from './support/orders-harness';

/**
 * INVENTORY_RESERVE_SYNCHRONOUS_COMMIT=off trades durability for hot-SKU throughput when orders are
 * created. The webhook's transaction must never inherit it: our 200 ends Razorpay's deliveries, so a
 * capture acknowledged and then lost to a Postgres crash would never be redelivered.
 */
describe('synchronous_commit=off stays on the order-creation path', () => {
  let stack: OrdersStack;
  /** synchronous_commit inside the transaction right after each reservation, in call order. */
  const seen: string[] = [];

  before(async () => {
    stack = await startOrdersStack('durablecommit', { env: { INVENTORY_RESERVE_SYNCHRONOUS_COMMIT: 'off' } });
    assert.equal(stack.api.app.get(InventoryConfig, { strict: false }).INVENTORY_RESERVE_SYNCHRONOUS_COMMIT, 'off');
    const inv = stack.api.app.get(InventoryService, { strict: false });
    const reserve = inv.reserve.bind(inv);
    inv.reserve = async (m: EntityManager, input) => {
      await reserve(m, input);
      seen.push((await m.query('SHOW synchronous_commit'))[0].synchronous_commit);
    };
  });
  after(() => stack?.close());

  it('creates the order with synchronous_commit off, and re-reserves for a late capture with it on', async () => {
    await seedProduct(stack.api.app, 'DUR-1', 5);
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'DUR-1', quantity: 1 }]);
    assert.deepEqual(seen, ['off'], 'the order-creation path still gets the configured speed-up');
    await stack.orders.cancel(testAuth(), order.id, 'test');

    // A capture after the hold was given back takes the single SKU again inside the webhook's transaction.
    const res = await deliver(stack.api.url, 'evt_dur_1', JSON.stringify(razorpayEvent('payment.captured', order.razorpay!.orderId, 'pay_Dur000000001', order.amountMinor)));
    assert.equal(((await res.json()) as any).outcome, 'order-paid-re-reserved');
    assert.deepEqual(seen, ['off', 'on'], 'the webhook transaction commits durably before Razorpay gets its 200');
  });
});
