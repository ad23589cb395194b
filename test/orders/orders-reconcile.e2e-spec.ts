import '../support/test-env';
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { INestApplicationContext } from '@nestjs/common';
import { MetricsService } from '@hub/core';
import { ReservationExpiry } from '@hub/orders';
import { RECONCILED_EVENT_PREFIX } from '@hub/payments';
import type { RazorpayPartner } from '../../apps/partner-sandbox/src/partners/razorpay/razorpay.partner';
import { startWorker } from '../support/hub-harness';
import { waitUntil } from '../support/processes';
import { newStorefrontOrder, seedProduct, stockOf } from '../payments/support/orders-harness';
import { SandboxOrdersStack, startOrdersStack } from './support/orders-stack';

/** Seconds an unpaid order holds its stock here; also the extra hold while Razorpay cannot be asked. */
const TTL = 4;

/**
 * The expiry sweep asks Razorpay (the sandbox, over HTTP, through the real SDK) before releasing a
 * storefront reservation. Webhooks are lost by giving the sandbox a webhook secret the hub does not
 * know (a misconfigured secret: every delivery is refused with 400) and one attempt per delivery.
 */
describe('expiry asks Razorpay first: a capture whose webhook was lost pays the order, unreachable Razorpay holds it a bounded time', () => {
  let stack: SandboxOrdersStack;
  const partner = () => stack.sb.sandbox.partners.find((p) => p.name === 'razorpay') as RazorpayPartner;

  before(async () => {
    stack = await startOrdersStack('reconcile', { partners: 'sandbox', env: { ORDER_RESERVATION_TTL_SECONDS: String(TTL), ORDER_EXPIRY_SWEEP_SECONDS: '1', RAZORPAY_TIMEOUT_MS: '800' } });
    await stack.sb.call('POST', '/_sandbox/razorpay/webhook-target', { url: `${stack.api.url}/v1/webhooks/razorpay` });
    await stack.sb.call('POST', '/_sandbox/razorpay/webhook-retry', { maxAttempts: 1 });
  });
  afterEach(async () => {
    await stack.sb.call('DELETE', '/_sandbox/faults');
  });
  after(() => stack?.close());

  const loseWebhooks = () => stack.sb.call('POST', '/_sandbox/razorpay/webhook-secret', { secret: 'not-the-secret-the-hub-knows' });
  const restoreWebhooks = () => stack.sb.call('POST', '/_sandbox/razorpay/webhook-secret', { secret: process.env.RAZORPAY_WEBHOOK_SECRET });
  const pay = async (rzpOrderId: string, outcome: 'captured' | 'authorized' | 'failed') => {
    const r = await stack.sb.call('POST', `/_sandbox/razorpay/orders/${rzpOrderId}/pay`, { outcome });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body as { payment: { id: string }; events: { eventId: string; event: string }[] };
  };
  const deliveriesOf = async (rzpOrderId: string) => ((await stack.sb.state()).razorpay.deliveries as any[]).filter((d) => d.orderId === rzpOrderId);
  const order = (id: string) => stack.orders.get(undefined, id);
  const settled = (id: string, timeoutMs = 20_000) =>
    waitUntil(async () => {
      const o = await order(id);
      return o.status !== 'pending-payment' ? o : undefined;
    }, timeoutMs, 100);
  const commits = async (orderId: string) => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM inventory_movements WHERE order_id = $1 AND kind = 'commit'`, [orderId]))[0].n);
  const audits = async (action: string, orderId: string) => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM audit_events WHERE action = $1 AND subject_id = $2`, [action, orderId]))[0].n);
  const checks = async (result: string, w: INestApplicationContext = stack.worker) => {
    const metric = w.get(MetricsService, { strict: false }).registry.getSingleMetric('hub_order_expiry_checks_total');
    const values = metric ? (await metric.get()).values : [];
    return values.find((v) => v.labels.result === result)?.value ?? 0;
  };
  /** Waits until the sweep has put the order off because Razorpay could not be asked. */
  const heldUnconfirmed = (id: string) =>
    waitUntil(async () => {
      const o = await order(id);
      return o.status === 'pending-payment' && /payment status unknown/.test(o.statusReason ?? '') ? o : undefined;
    }, 15_000, 100);

  it('a captured payment whose webhook never arrived: at TTL the order is paid (stock committed), not expired; the late webhooks then change nothing', async () => {
    await seedProduct(stack.api.app, 'RC-PAID', 3, '499.00', ['storefront']);
    await loseWebhooks();
    const o = await newStorefrontOrder(stack.orders, [{ sku: 'RC-PAID', quantity: 2 }]);
    const paid = await pay(o.razorpay!.orderId, 'captured');
    await partner().idle();
    const lost = await deliveriesOf(o.razorpay!.orderId);
    assert.equal(lost.length, 3);
    assert.ok(lost.every((d) => !d.delivered && d.lastStatus === 400), 'every webhook of the payment was refused');
    assert.equal((await order(o.id)).status, 'pending-payment', 'the hub has not heard of the payment');

    const done = await settled(o.id);
    assert.equal(done.status, 'paid', `expected paid, got ${done.status} (${done.statusReason})`);
    assert.equal(done.reservation.status, 'committed');
    assert.equal(done.razorpay!.paymentId, paid.payment.id);
    assert.match(done.statusReason!, /found by asking Razorpay/);
    assert.ok(Date.parse(done.paidAt!) >= Date.parse(o.reservation.expiresAt!), 'paid by the expiry sweep, at TTL');
    assert.deepEqual(await stockOf(stack.ds, 'RC-PAID'), { onHand: 1, reserved: 0 });
    assert.equal(await commits(o.id), 1);
    // The trail: the capture is stored as an event of its own, marked as found by reconciliation.
    const [row] = await stack.ds.query(`SELECT event, outcome, razorpay_payment_id, amount::int AS amount FROM razorpay_events WHERE event_id = $1`, [`${RECONCILED_EVENT_PREFIX}${paid.payment.id}`]);
    assert.deepEqual(row, { event: 'payment.captured', outcome: 'order-paid', razorpay_payment_id: paid.payment.id, amount: o.amountMinor });
    assert.equal(await audits('order.payment-reconciled', o.id), 1);
    assert.ok((await checks('paid')) >= 1);

    // The secret is fixed and Razorpay redelivers everything: each event finds the order paid.
    await restoreWebhooks();
    for (const d of lost) assert.equal((await stack.sb.call('POST', `/_sandbox/razorpay/events/${d.eventId}/redeliver`)).status, 202);
    await partner().idle();
    const late = (await deliveriesOf(o.razorpay!.orderId)).filter((d) => d.copy > 0);
    assert.equal(late.length, 3);
    assert.ok(late.every((d) => d.delivered && d.lastStatus === 200), 'the hub took the late webhooks');
    const outcomes = await stack.ds.query(`SELECT event, outcome FROM razorpay_events WHERE razorpay_order_id = $1 AND event_id NOT LIKE $2 ORDER BY event`, [o.razorpay!.orderId, `${RECONCILED_EVENT_PREFIX}%`]);
    assert.deepEqual(outcomes, [
      { event: 'order.paid', outcome: 'already-paid' },
      { event: 'payment.authorized', outcome: 'ignored' },
      { event: 'payment.captured', outcome: 'already-paid' },
    ]);
    const after = await order(o.id);
    assert.deepEqual([after.status, after.paidAt, after.updatedAt, after.statusReason], [done.status, done.paidAt, done.updatedAt, done.statusReason]);
    assert.deepEqual(await stockOf(stack.ds, 'RC-PAID'), { onHand: 1, reserved: 0 });
    assert.equal(await commits(o.id), 1);
  });

  it('no payment, a failed one, or one only authorized: Razorpay is asked, then the order expires as before', async () => {
    await seedProduct(stack.api.app, 'RC-NONE', 5, '250.00', ['storefront']);
    await loseWebhooks();
    const none = await newStorefrontOrder(stack.orders, [{ sku: 'RC-NONE', quantity: 1 }]);
    const failed = await newStorefrontOrder(stack.orders, [{ sku: 'RC-NONE', quantity: 1 }]);
    const authorized = await newStorefrontOrder(stack.orders, [{ sku: 'RC-NONE', quantity: 2 }]);
    await pay(failed.razorpay!.orderId, 'failed');
    const auth = await pay(authorized.razorpay!.orderId, 'authorized');
    await partner().idle();
    assert.deepEqual(await stockOf(stack.ds, 'RC-NONE'), { onHand: 5, reserved: 4 }, 'no webhook reached the hub');
    const [noPaymentBefore, authorizedBefore] = [await checks('no-payment'), await checks('authorized-only')];

    const [a, b, c] = await Promise.all([settled(none.id), settled(failed.id), settled(authorized.id)]);
    assert.deepEqual([a.status, b.status, c.status], ['expired', 'expired', 'expired']);
    assert.equal(a.statusReason, 'reservation expired');
    assert.equal(b.statusReason, 'reservation expired');
    // An authorized payment is what the webhook path ignores: the hold goes, the reason names it.
    assert.match(c.statusReason!, new RegExp(`${auth.payment.id} authorized, not captured`));
    assert.deepEqual(await stockOf(stack.ds, 'RC-NONE'), { onHand: 5, reserved: 0 });
    assert.equal((await checks('no-payment')) - noPaymentBefore, 2, 'Razorpay was asked about both');
    assert.equal((await checks('authorized-only')) - authorizedBefore, 1);
    const [{ n }] = await stack.ds.query(`SELECT count(*)::int AS n FROM razorpay_events WHERE event_id LIKE $2 AND razorpay_order_id = ANY($1)`, [[none, failed, authorized].map((x) => x.razorpay!.orderId), `${RECONCILED_EVENT_PREFIX}%`]);
    assert.equal(n, 0, 'nothing was applied');

    // The authorized payment's webhook arriving late is still ignored.
    await restoreWebhooks();
    const [authEvent] = auth.events;
    await stack.sb.call('POST', `/_sandbox/razorpay/events/${authEvent.eventId}/redeliver`);
    await partner().idle();
    const [stored] = await stack.ds.query(`SELECT outcome FROM razorpay_events WHERE event_id = $1`, [authEvent.eventId]);
    assert.equal(stored.outcome, 'ignored');
    assert.equal((await order(authorized.id)).status, 'expired');
  });

  it('Razorpay answering 503 at TTL: the paid order keeps its stock, and is paid once Razorpay answers within the extra hold', async () => {
    await seedProduct(stack.api.app, 'RC-503', 2, '300.00', ['storefront']);
    await stack.sb.fault({ partner: 'razorpay', kind: 'server-error', status: 503, match: '/payments' });
    await loseWebhooks();
    const o = await newStorefrontOrder(stack.orders, [{ sku: 'RC-503', quantity: 2 }]);
    const paid = await pay(o.razorpay!.orderId, 'captured');
    await partner().idle();

    const held = await heldUnconfirmed(o.id);
    assert.ok(Date.now() >= Date.parse(o.reservation.expiresAt!), 'past its TTL');
    assert.equal(held.reservation.status, 'held');
    assert.deepEqual(await stockOf(stack.ds, 'RC-503'), { onHand: 2, reserved: 2 }, 'stock still held for the customer who paid');
    assert.ok((await checks('deferred')) >= 1);

    await stack.sb.call('DELETE', '/_sandbox/faults?partner=razorpay');
    const done = await settled(o.id);
    assert.equal(done.status, 'paid', `expected paid, got ${done.status} (${done.statusReason})`);
    assert.equal(done.razorpay!.paymentId, paid.payment.id);
    assert.ok(Date.parse(done.paidAt!) <= Date.parse(o.reservation.expiresAt!) + (TTL + 3) * 1000, 'asked again within the extra hold');
    assert.deepEqual(await stockOf(stack.ds, 'RC-503'), { onHand: 0, reserved: 0 });
  });

  it('two workers sweeping the same due orders at once: each order is asked about and settled once, each capture applied once', async () => {
    await seedProduct(stack.api.app, 'RC-TWO', 20, '120.00', ['storefront']);
    await loseWebhooks();
    const payers = await Promise.all(Array.from({ length: 6 }, () => newStorefrontOrder(stack.orders, [{ sku: 'RC-TWO', quantity: 1 }])));
    const idle = await Promise.all(Array.from({ length: 6 }, () => newStorefrontOrder(stack.orders, [{ sku: 'RC-TWO', quantity: 1 }])));
    for (const o of payers) await pay(o.razorpay!.orderId, 'captured');
    await partner().idle();
    // Slow answers, so the two sweeps overlap while they ask.
    await stack.sb.fault({ partner: 'razorpay', kind: 'latency', ms: 300, match: '/payments' });
    const second = await startWorker();
    try {
      const counted = ['paid', 'no-payment', 'settled-meanwhile', 'deferred'];
      const count = async (w: INestApplicationContext) => (await Promise.all(counted.map((r) => checks(r, w)))).reduce((n, v) => n + v, 0);
      const before = (await count(stack.worker)) + (await count(second));
      await waitUntil(async () => Date.now() > Date.parse(idle[5].reservation.expiresAt!), 15_000, 50);
      await Promise.all([stack.worker.get(ReservationExpiry, { strict: false }).sweep(), second.get(ReservationExpiry, { strict: false }).sweep()]);
      const all = await Promise.all([...payers, ...idle].map((o) => settled(o.id)));
      assert.deepEqual(all.map((o) => o.status), [...payers.map(() => 'paid'), ...idle.map(() => 'expired')]);
      assert.equal((await count(stack.worker)) + (await count(second)) - before, 12, 'one check per order across both workers');
    } finally {
      await second.close();
    }
    for (const o of payers) assert.equal(await commits(o.id), 1);
    const [{ n }] = await stack.ds.query(`SELECT count(*)::int AS n FROM razorpay_events WHERE event_id LIKE $2 AND razorpay_order_id = ANY($1)`, [payers.map((o) => o.razorpay!.orderId), `${RECONCILED_EVENT_PREFIX}%`]);
    assert.equal(n, 6);
    assert.deepEqual(await stockOf(stack.ds, 'RC-TWO'), { onHand: 14, reserved: 0 });
  });

  it('Razorpay hanging for good: each call gives up at its timeout, the hold is kept one more TTL, then released unconfirmed (never stuck)', async () => {
    await seedProduct(stack.api.app, 'RC-HANG', 2, '300.00', ['storefront']);
    await stack.sb.fault({ partner: 'razorpay', kind: 'timeout', ms: 60_000, match: '/payments' });
    const o = await newStorefrontOrder(stack.orders, [{ sku: 'RC-HANG', quantity: 1 }]);

    const held = await heldUnconfirmed(o.id);
    assert.equal(held.reservation.status, 'held');
    assert.deepEqual(await stockOf(stack.ds, 'RC-HANG'), { onHand: 2, reserved: 1 });

    const done = await settled(o.id);
    assert.equal(done.status, 'expired');
    assert.match(done.statusReason!, /could not be asked .* released unconfirmed/);
    const extra = Date.parse(done.updatedAt) - Date.parse(o.reservation.expiresAt!);
    assert.ok(extra >= TTL * 1000 - 50, `held ${extra} ms past its TTL, the extra hold is ${TTL} s`);
    assert.ok(extra <= (TTL + 5) * 1000, `released ${extra} ms past its TTL: bounded`);
    assert.deepEqual(await stockOf(stack.ds, 'RC-HANG'), { onHand: 2, reserved: 0 });
    assert.equal(await audits('order.expired-unconfirmed', o.id), 1);
    assert.ok((await checks('expired-unconfirmed')) >= 1);
  });
});
