import '../../support/test-env';
import type { INestApplicationContext } from '@nestjs/common';
import { CatalogService } from '@hub/catalog';
import { OrdersService } from '@hub/orders';
import { razorpaySignature } from '@hub/payments';
import nock from 'nock';
import { DataSource } from 'typeorm';

/** A fake Razorpay host (nock) for tests that do not need the sandbox: it mints order ids and counts calls. */
export function fakeRazorpay(host = 'http://razorpay.e2e.test'): { host: string; created: () => number; failWith: (status: number | null) => void; stop: () => void } {
  let n = 0;
  let failStatus: number | null = null;
  nock.disableNetConnect();
  nock.enableNetConnect((h) => h.startsWith('127.0.0.1') || h.startsWith('localhost'));
  nock(host)
    .persist()
    .post('/v1/orders')
    .reply((_uri, body: any) => {
      if (failStatus) return [failStatus, { error: { code: 'SERVER_ERROR', description: 'The server encountered an error', field: null } }];
      n++;
      return [200, { id: `order_T${String(n).padStart(10, '0')}${Math.random().toString(36).slice(2, 6)}`, entity: 'order', amount: body.amount, amount_paid: 0, amount_due: body.amount, currency: body.currency, receipt: body.receipt, status: 'created', notes: body.notes ?? [], created_at: Math.floor(Date.now() / 1000) }];
    })
    // The expiry sweep asks for an order's payments before releasing it: none were made here.
    .get(/^\/v1\/orders\/[^/?]+\/payments/)
    .query(true)
    .reply(200, { entity: 'collection', count: 0, items: [] });
  process.env.RAZORPAY_API_URL = `${host}/v1/`;
  return { host, created: () => n, failWith: (s) => (failStatus = s), stop: () => (nock.cleanAll(), nock.enableNetConnect()) };
}

/**
 * A product in the real catalog (which also creates its stock row). Storefront and Amazon by
 * default; tests without a sandbox keep it that way so no worker publishes to a real port.
 */
export async function seedProduct(app: INestApplicationContext, sku: string, onHand: number, price = '899.00', channels: string[] = ['storefront', 'amazon']): Promise<void> {
  await app.get(CatalogService, { strict: false }).create({
    sku, name: `Test product ${sku}`, price, currency: 'INR', stock: onHand, images: ['https://images.novaskin.example/test.jpg'],
    category: 'test', description: 'A product made by a test', channels,
  } as any);
}

export async function stockOf(ds: DataSource, sku: string): Promise<{ onHand: number; reserved: number }> {
  const [r] = await ds.query(`SELECT on_hand, reserved FROM inventory_items WHERE sku = $1`, [sku]);
  return { onHand: r.on_hand, reserved: r.reserved };
}

/** Status, content type and body of an answer, with what legitimately differs (request id, the SKU asked for) masked. */
export async function answer(res: Response, sku: string): Promise<{ status: number; type: string | null; body: any }> {
  const body = JSON.parse((await res.text()).split(sku).join('<sku>'));
  delete body.requestId;
  return { status: res.status, type: res.headers.get('content-type'), body };
}

export const WEBHOOK_SECRET = () => process.env.RAZORPAY_WEBHOOK_SECRET!;

/** Razorpay's envelope for the events the hub reacts to. */
export function razorpayEvent(event: string, rzpOrderId: string, paymentId: string, amount: number): Record<string, unknown> {
  const status = event === 'payment.failed' ? 'failed' : event === 'payment.authorized' ? 'authorized' : 'captured';
  const payment = { entity: { id: paymentId, entity: 'payment', amount, currency: 'INR', status, order_id: rzpOrderId, method: 'upi', captured: status === 'captured', error_code: status === 'failed' ? 'BAD_REQUEST_ERROR' : null } };
  const payload: Record<string, unknown> = { payment };
  if (event === 'order.paid') payload.order = { entity: { id: rzpOrderId, entity: 'order', amount, amount_paid: amount, amount_due: 0, currency: 'INR', status: 'paid' } };
  return { entity: 'event', account_id: 'acc_TestAccount01', event, contains: Object.keys(payload), payload, created_at: Math.floor(Date.now() / 1000) };
}

export async function deliver(apiUrl: string, eventId: string, raw: string | Buffer, opts: { secret?: string; signature?: string } = {}): Promise<Response> {
  const signature = opts.signature ?? razorpaySignature(raw, opts.secret ?? WEBHOOK_SECRET());
  return fetch(`${apiUrl}/v1/webhooks/razorpay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-razorpay-signature': signature, 'x-razorpay-event-id': eventId },
    body: raw,
  });
}

export async function newStorefrontOrder(orders: OrdersService, items: { sku: string; quantity: number }[], key = `k-${Math.random().toString(36).slice(2)}`) {
  const res = await orders.create(
    testAuth(),
    key,
    { channel: 'storefront', items } as any,
  );
  return res.body;
}


export function testAuth(channels: ('amazon' | 'nykaa' | 'storefront')[] | null = null, keyId = 'testkey00001') {
  return { keyId, name: 'test', environment: 'test' as const, scopes: new Set(['orders:write', 'orders:read'] as const), channels, tier: 'internal' as const };
}
