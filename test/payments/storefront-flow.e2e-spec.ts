import '../support/test-env';
import assert from 'node:assert/strict';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { verifyRazorpaySignature } from '@hub/payments';
import Razorpay from 'razorpay';
import type { RazorpayPartner } from '../../apps/partner-sandbox/src/partners/razorpay/razorpay.partner';
import { bearer, createTestKey } from '../support/api-keys';
import { waitUntil } from '../support/processes';
import { deliver, razorpayEvent, seedProduct, stockOf } from './support/orders-harness';
import { SandboxOrdersStack, startOrdersStack } from '../orders/support/orders-stack';

interface Delivery {
  headers: IncomingHttpHeaders;
  raw: string;
  hubStatus: number;
  ours: boolean;
  sdk: boolean;
}

/**
 * Sits between the sandbox and the hub: records the exact bytes of every delivery, checks them
 * with our verifier and the SDK's, then forwards them unchanged and answers what the hub answered.
 */
class Tap {
  deliveries: Delivery[] = [];
  /** The secret the sandbox signs with (changes when a test rotates it). */
  secret = process.env.RAZORPAY_WEBHOOK_SECRET!;
  server!: Server;
  url!: string;
  constructor(private readonly hubUrl: () => string) {}
  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const raw = Buffer.concat(chunks);
        const sig = req.headers['x-razorpay-signature'] as string;
        const secret = this.secret;
        let sdk: boolean;
        try {
          sdk = Razorpay.validateWebhookSignature(raw.toString('utf8'), sig, secret);
        } catch {
          sdk = false;
        }
        const hub = await fetch(`${this.hubUrl()}/v1/webhooks/razorpay`, {
          method: 'POST',
          headers: { 'content-type': req.headers['content-type']!, 'x-razorpay-signature': sig, 'x-razorpay-event-id': req.headers['x-razorpay-event-id'] as string },
          body: raw,
        });
        this.deliveries.push({ headers: req.headers, raw: raw.toString('utf8'), hubStatus: hub.status, ours: verifyRazorpaySignature(raw, sig, [secret]), sdk });
        res.writeHead(hub.status, { 'content-type': 'application/json' }).end(await hub.text());
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/webhooks/razorpay`;
  }
  close() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

describe('storefront flow over HTTP: order -> Razorpay order in the sandbox -> pay -> signed webhooks -> paid, channels updated', () => {
  let stack: SandboxOrdersStack;
  let key: string;
  const tap = new Tap(() => stack.api.url);
  const partner = () => stack.sb.sandbox.partners.find((p) => p.name === 'razorpay') as RazorpayPartner;

  before(async () => {
    stack = await startOrdersStack('storefront', { partners: 'sandbox' });
    await tap.start();
    await stack.sb.call('POST', '/_sandbox/razorpay/webhook-target', { url: tap.url });
    await stack.sb.call('POST', '/_sandbox/razorpay/webhook-retry', { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 10 });
    await seedProduct(stack.api.app, 'SF-SERUM', 10, '899.00', ['storefront', 'amazon', 'nykaa']);
    await seedProduct(stack.api.app, 'SF-MIST', 5, '349.50', ['storefront', 'amazon', 'nykaa']);
    await waitUntil(async () => (await stack.sb.state()).amazon.listings['SF-SERUM']?.quantity === 10 && (await stack.sb.state()).nykaa.listings['SF-SERUM']?.quantity === 10, 15_000);
    key = await createTestKey(stack.api.app, { scopes: ['orders:write', 'orders:read'], channels: ['storefront'] });
  });
  after(async () => {
    await stack?.close();
    await tap.close();
  });

  const placeOrder = async (items: { sku: string; quantity: number }[]) => {
    const res = await fetch(`${stack.api.url}/v1/orders`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json', 'idempotency-key': `sf-${Math.random()}` },
      body: JSON.stringify({ channel: 'storefront', items, customer: { email: 'asha@example.com' } }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    return (await res.json()) as any;
  };
  const getOrder = async (id: string) => (await (await fetch(`${stack.api.url}/v1/orders/${id}`, { headers: bearer(key) })).json()) as any;
  const pay = async (rzpOrderId: string, outcome: 'captured' | 'failed') => {
    const r = await stack.sb.call('POST', `/_sandbox/razorpay/orders/${rzpOrderId}/pay`, { outcome });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };

  it('pays an order end to end: Razorpay order created in the sandbox, webhooks applied, stock committed', async () => {
    const order = await placeOrder([{ sku: 'SF-SERUM', quantity: 2 }, { sku: 'SF-MIST', quantity: 1 }]);
    assert.equal(order.status, 'pending-payment');
    const rzp = (await stack.sb.state()).razorpay.orders[order.razorpay.orderId];
    assert.ok(rzp, 'the Razorpay order exists in the sandbox');
    assert.equal(rzp.amount, 2 * 89900 + 34950);
    assert.equal(rzp.receipt, order.id);
    assert.deepEqual(await stockOf(stack.ds, 'SF-SERUM'), { onHand: 10, reserved: 2 });

    await pay(order.razorpay.orderId, 'captured');
    const paid = await waitUntil(async () => {
      const o = await getOrder(order.id);
      return o.status === 'paid' ? o : undefined;
    }, 10_000);
    assert.match(paid.razorpay.paymentId, /^pay_/);
    assert.equal(paid.reservation.status, 'committed');
    await partner().idle();
    assert.deepEqual(await stockOf(stack.ds, 'SF-SERUM'), { onHand: 8, reserved: 0 });
    assert.deepEqual(await stockOf(stack.ds, 'SF-MIST'), { onHand: 4, reserved: 0 });
    // Channels converge on what is left to sell: 10 - 2 serums, 5 - 1 mists.
    await waitUntil(async () => {
      const s = await stack.sb.state();
      return s.amazon.listings['SF-SERUM']?.quantity === 8 && s.nykaa.listings['SF-SERUM']?.quantity === 8 && s.amazon.listings['SF-MIST']?.quantity === 4 && s.nykaa.listings['SF-MIST']?.quantity === 4;
    }, 15_000);
    const [sf] = await stack.ds.query(`SELECT quantity FROM storefront_listings WHERE sku = 'SF-SERUM'`);
    assert.equal(sf.quantity, 8);
    const outcomes = await stack.ds.query(`SELECT event, outcome FROM razorpay_events WHERE razorpay_order_id = $1 ORDER BY received_at`, [order.razorpay.orderId]);
    assert.deepEqual(outcomes.map((r: any) => r.event).sort(), ['order.paid', 'payment.authorized', 'payment.captured']);
    assert.equal(outcomes.filter((r: any) => r.outcome === 'order-paid').length, 1);
  });

  it('survives duplicated, reordered and badly signed deliveries: one effect, then converges', async () => {
    const order = await placeOrder([{ sku: 'SF-SERUM', quantity: 1 }]);
    const before = await stockOf(stack.ds, 'SF-SERUM');
    await stack.sb.fault({ partner: 'razorpay', kind: 'duplicate-delivery', times: 3, count: 1 });
    await stack.sb.fault({ partner: 'razorpay', kind: 'reorder', count: 1 });
    await stack.sb.fault({ partner: 'razorpay', kind: 'bad-signature', count: 1 });
    await pay(order.razorpay.orderId, 'captured');
    await waitUntil(async () => (await getOrder(order.id)).status === 'paid', 10_000);
    await partner().idle();
    await stack.sb.call('DELETE', '/_sandbox/faults');
    assert.deepEqual(await stockOf(stack.ds, 'SF-SERUM'), { onHand: before.onHand - 1, reserved: before.reserved - 1 });
    const [{ n }] = await stack.ds.query(`SELECT count(*)::int AS n FROM razorpay_events WHERE razorpay_order_id = $1`, [order.razorpay.orderId]);
    assert.equal(n, 3, 'three distinct events stored once each');
    const mine = tap.deliveries.filter((d) => JSON.parse(d.raw).payload.payment.entity.order_id === order.razorpay.orderId);
    assert.ok(mine.length >= 3 * 4, `duplicates delivered (${mine.length})`);
    assert.ok(mine.some((d) => !d.ours && d.hubStatus === 400), 'the badly signed delivery was refused');
    const [{ commits }] = await stack.ds.query(`SELECT count(*)::int AS commits FROM inventory_movements WHERE order_id = $1 AND kind = 'commit'`, [order.id]);
    assert.equal(commits, 1);
  });

  it('releases the stock of a failed payment', async () => {
    const order = await placeOrder([{ sku: 'SF-MIST', quantity: 2 }]);
    const held = await stockOf(stack.ds, 'SF-MIST');
    await pay(order.razorpay.orderId, 'failed');
    await waitUntil(async () => (await getOrder(order.id)).status === 'payment-failed', 10_000);
    assert.deepEqual(await stockOf(stack.ds, 'SF-MIST'), { onHand: held.onHand, reserved: held.reserved - 2 });
  });

  it('our verifier and the SDK agree on every delivery the sandbox made', async () => {
    await partner().idle();
    assert.ok(tap.deliveries.length >= 10, `${tap.deliveries.length} deliveries`);
    for (const d of tap.deliveries) {
      assert.equal(d.ours, d.sdk, `event ${d.headers['x-razorpay-event-id']}`);
      assert.equal(d.hubStatus, d.ours ? 200 : 400, 'the hub answered as the signature deserved');
    }
    assert.ok(tap.deliveries.some((d) => !d.ours), 'a bad signature was among them');
  });

  it('keeps accepting the previous webhook secret after a rotation through the vault, and the new one at once', async () => {
    const admin = await createTestKey(stack.api.app, { scopes: ['vault:write', 'vault:read'] });
    const rotated = 'whsec_rotated_razorpay_0001';
    const put = await fetch(`${stack.api.url}/v1/vault/credentials/razorpay`, {
      method: 'PUT',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ fields: { keyId: process.env.RAZORPAY_KEY_ID, keySecret: process.env.RAZORPAY_KEY_SECRET, webhookSecret: rotated } }),
    });
    assert.equal(put.status, 201, await put.clone().text());
    await stack.sb.call('POST', '/_sandbox/razorpay/webhook-secret', { secret: rotated });
    tap.secret = rotated;

    // The sandbox now signs with the new secret: applied at once (the cached secrets are re-read).
    const fresh = await placeOrder([{ sku: 'SF-SERUM', quantity: 1 }]);
    await pay(fresh.razorpay.orderId, 'captured');
    await waitUntil(async () => (await getOrder(fresh.id)).status === 'paid', 10_000);

    // A delivery still signed with the previous secret (sent before the switch, retried after) is accepted.
    const late = await placeOrder([{ sku: 'SF-SERUM', quantity: 1 }]);
    const body = JSON.stringify(razorpayEvent('payment.captured', late.razorpay.orderId, 'pay_OldSecret0001', late.amountMinor));
    const old = await deliver(stack.api.url, 'evt_old_secret_1', body, { secret: process.env.RAZORPAY_WEBHOOK_SECRET! });
    assert.equal(old.status, 200, await old.clone().text());
    assert.equal((await getOrder(late.id)).status, 'paid');
    const forged = await deliver(stack.api.url, 'evt_forged_1', body, { secret: 'whsec_never_configured' });
    assert.equal(forged.status, 400);
  });
});
