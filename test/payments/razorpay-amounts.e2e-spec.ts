import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OrdersStack, startOrdersStack } from '../orders/support/orders-stack';
import { deliver, newStorefrontOrder, razorpayEvent, seedProduct, stockOf, testAuth } from './support/orders-harness';

/** A signed event whose payment (and, for order.paid, order) entity carries `amount`, written as given. */
function eventWith(event: string, rzpOrderId: string, paymentId: string, amount: string, currency = 'INR'): string {
  const e: any = razorpayEvent(event, rzpOrderId, paymentId, 0);
  e.payload.payment.entity.currency = currency;
  if (e.payload.order) e.payload.order.entity.currency = currency;
  // Spliced in as text: JSON.stringify cannot write every number Razorpay's JSON could carry.
  return JSON.stringify(e).replace(/"(amount|amount_paid)":0\b/g, `"$1":${amount}`);
}

describe('Razorpay webhooks: amounts and currency checked against the order', () => {
  let stack: OrdersStack;

  before(async () => {
    stack = await startOrdersStack('rzpamounts');
  });
  after(() => stack?.close());

  const stored = async (eventId: string) => (await stack.ds.query(`SELECT amount, outcome FROM razorpay_events WHERE event_id = $1`, [eventId]))[0];
  const receipt = async (eventId: string, raw: string) => {
    const res = await deliver(stack.api.url, eventId, raw);
    assert.equal(res.status, 200, `${eventId}: ${res.status} ${await res.clone().text()}`);
    return (await res.json()) as { status: string; outcome: string | null };
  };

  it('stores a signed event whose amount is no whole paise count (100.5, 1e21, past 2^63, past 2^53) and answers 200, paying nothing', async () => {
    await seedProduct(stack.api.app, 'AM-ODD', 5);
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'AM-ODD', quantity: 1 }]);
    const rzp = order.razorpay!.orderId;
    for (const [i, amount] of ['100.5', '1e21', '9300000000000000000', '9007199254740993', '-89900', '"89900"'].entries()) {
      for (const event of ['payment.captured', 'order.paid', 'payment.authorized']) {
        const id = `evt_odd_${i}_${event}`;
        const raw = eventWith(event, rzp, `pay_Odd${i}`, amount);
        const r = await receipt(id, raw);
        assert.equal(r.status, 'processed', id);
        assert.equal(r.outcome, event === 'payment.authorized' ? 'ignored' : 'invalid-amount', `${id}: ${r.outcome}`);
        assert.deepEqual(await stored(id), { amount: null, outcome: r.outcome }, `${id} stored with no amount`);
        // Razorpay's redelivery is acknowledged too, not answered 500 forever.
        assert.equal((await receipt(id, raw)).status, 'duplicate');
      }
    }
    const after = await stack.orders.get(undefined, order.id);
    assert.equal(after.status, 'pending-payment');
    assert.equal(after.razorpay!.paymentId, null);
    assert.deepEqual(await stockOf(stack.ds, 'AM-ODD'), { onHand: 5, reserved: 1 }, 'still held, not sold');

    // An event for no order of ours with such an amount is stored as well.
    assert.equal((await receipt('evt_odd_unknown', eventWith('payment.captured', 'order_NotOurs0000002', 'pay_X', '1e21'))).outcome, 'ignored-unknown-order');
    // The genuine capture still pays the order.
    assert.equal((await receipt('evt_odd_good', eventWith('payment.captured', rzp, 'pay_OddGood', String(order.amountMinor)))).outcome, 'order-paid');
    assert.equal((await stored('evt_odd_good')).amount, String(order.amountMinor));
  });

  it('does not pay an order with a capture of another amount or currency; it keeps waiting for its own', async () => {
    await seedProduct(stack.api.app, 'AM-MIS', 5, '899.00');
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'AM-MIS', quantity: 2 }]);
    const rzp = order.razorpay!.orderId;
    const cases: [string, string, string, string][] = [
      ['evt_mis_less', 'payment.captured', String(order.amountMinor - 1), 'INR'],
      ['evt_mis_more', 'order.paid', String(order.amountMinor + 100), 'INR'],
      ['evt_mis_one', 'payment.captured', '100', 'INR'],
      ['evt_mis_usd', 'payment.captured', String(order.amountMinor), 'USD'],
      ['evt_mis_usd_paid', 'order.paid', String(order.amountMinor), 'USD'],
    ];
    for (const [id, event, amount, currency] of cases) {
      const r = await receipt(id, eventWith(event, rzp, 'pay_Mis00000001', amount, currency));
      assert.equal(r.outcome, currency === 'INR' ? 'amount-mismatch' : 'currency-mismatch', id);
      assert.equal((await stored(id)).outcome, r.outcome, `${id} outcome stored`);
    }
    const waiting = await stack.orders.get(undefined, order.id);
    assert.equal(waiting.status, 'pending-payment');
    assert.equal(waiting.razorpay!.paymentId, null, 'the refused payment is not recorded as the order\'s');
    assert.deepEqual(await stockOf(stack.ds, 'AM-MIS'), { onHand: 5, reserved: 2 });

    // The right amount in the right currency pays it.
    assert.equal((await receipt('evt_mis_ok', eventWith('order.paid', rzp, 'pay_Mis00000002', String(order.amountMinor)))).outcome, 'order-paid');
    const paid = await stack.orders.get(undefined, order.id);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.razorpay!.paymentId, 'pay_Mis00000002');
    assert.deepEqual(await stockOf(stack.ds, 'AM-MIS'), { onHand: 3, reserved: 0 });
  });

  it('does not re-reserve a cancelled order for a capture of another amount', async () => {
    await seedProduct(stack.api.app, 'AM-LATE', 3, '100.00');
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'AM-LATE', quantity: 1 }]);
    await stack.orders.cancel(testAuth(), order.id, 'test');
    const r = await receipt('evt_late_mis', eventWith('payment.captured', order.razorpay!.orderId, 'pay_LateMis0001', String(order.amountMinor * 2)));
    assert.equal(r.outcome, 'amount-mismatch');
    assert.equal((await stack.orders.get(undefined, order.id)).status, 'cancelled');
    assert.deepEqual(await stockOf(stack.ds, 'AM-LATE'), { onHand: 3, reserved: 0 });
  });
});
