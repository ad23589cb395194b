import '../support/test-env';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import Razorpay from 'razorpay';
import { RazorpayPartner } from '../../apps/partner-sandbox/src/partners/razorpay/razorpay.partner';
import { waitUntil } from '../support/processes';
import { RunningSandbox, startSandbox } from './sandbox-harness';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: any;
  at: number;
}

/** A stand-in for the hub's webhook route: records raw bodies, answers as told. */
class Receiver {
  received: Received[] = [];
  respond: (r: Received, n: number) => number | Promise<number> = () => 200;
  server!: Server;
  url!: string;

  async start() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const r = { headers: req.headers, raw, body: JSON.parse(raw), at: Date.now() };
        this.received.push(r);
        const status = await this.respond(r, this.received.length);
        if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v1/webhooks/razorpay`;
  }
  reset() {
    this.received = [];
    this.respond = () => 200;
  }
  close() {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(r));
  }
}

const WEBHOOK_SECRET = process.env.RAZORPAY_WEBHOOK_SECRET!;
const validSig = (r: Received, secret = WEBHOOK_SECRET) => createHmac('sha256', secret).update(r.raw).digest('hex') === r.headers['x-razorpay-signature'];

describe('razorpay sandbox: API through the real SDK, signed webhooks with retries and faults', () => {
  let sb: RunningSandbox;
  let rz: Razorpay;
  const receiver = new Receiver();
  const partner = () => sb.sandbox.partners.find((p) => p.name === 'razorpay') as RazorpayPartner;

  before(async () => {
    sb = await startSandbox();
    await receiver.start();
    rz = new Razorpay({ key_id: process.env.RAZORPAY_KEY_ID!, key_secret: process.env.RAZORPAY_KEY_SECRET! });
    // The SDK hard-codes https://api.razorpay.com; its axios instance is the only seam.
    (rz as any).api.rq.defaults.baseURL = sb.url;
  });
  after(async () => {
    await sb?.close();
    await receiver.close();
  });
  beforeEach(async () => {
    await sb.call('POST', '/_sandbox/reset');
    receiver.reset();
    await sb.call('POST', '/_sandbox/razorpay/webhook-target', { url: receiver.url });
  });

  const newOrder = () => rz.orders.create({ amount: 89900, currency: 'INR', receipt: 'ns-ord-1', notes: { hubOrderId: 'o-1' } }) as Promise<any>;
  const pay = async (orderId: string, outcome: string) => {
    const r = await sb.call('POST', `/_sandbox/razorpay/orders/${orderId}/pay`, { outcome });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const settled = () => waitUntil(async () => ((await partner().idle(), true)), 10_000);

  it('creates, fetches and lists orders with Razorpay entities', async () => {
    const order = await newOrder();
    assert.match(order.id, /^order_[0-9A-Za-z]{14}$/);
    assert.deepEqual(
      { ...order, id: 'x', created_at: 0 },
      { id: 'x', entity: 'order', amount: 89900, amount_paid: 0, amount_due: 89900, currency: 'INR', receipt: 'ns-ord-1', offer_id: null, status: 'created', attempts: 0, notes: { hubOrderId: 'o-1' }, created_at: 0 },
    );
    assert.ok(Math.abs(order.created_at - Date.now() / 1000) < 5);
    assert.deepEqual(await rz.orders.fetch(order.id), order);
    const bare: any = await rz.orders.create({ amount: 100, currency: 'INR' });
    assert.deepEqual(bare.notes, [], 'Razorpay sends empty notes as []');
    const list: any = await rz.orders.all({ count: 1 });
    assert.equal(list.entity, 'collection');
    assert.equal(list.count, 1);
    assert.equal(list.items[0].id, bare.id, 'newest first');
  });

  it('answers bad credentials and bad input with Razorpay error bodies the SDK surfaces', async () => {
    const wrong = new Razorpay({ key_id: process.env.RAZORPAY_KEY_ID!, key_secret: 'nope' });
    (wrong as any).api.rq.defaults.baseURL = sb.url;
    await assert.rejects(wrong.orders.all({ count: 1 }), (err: any) => {
      assert.equal(err.statusCode, 401);
      assert.deepEqual(err.error, { code: 'BAD_REQUEST_ERROR', description: 'Authentication failed', source: 'NA', step: 'NA', reason: 'NA', metadata: {}, field: null });
      return true;
    });
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ amount: 50, currency: 'INR' }, 'amount', /atleast INR 1\.00/],
      [{ amount: 99.5, currency: 'INR' }, 'amount', /integer/],
      [{ currency: 'INR' }, 'amount', /required/],
      [{ amount: 1000, currency: 'XYZ' }, 'currency', /invalid/],
      [{ amount: 1000, currency: 'INR', receipt: 'r'.repeat(41) }, 'receipt', /40 characters/],
      [{ amount: 1000, currency: 'INR', bogus: 1 }, 'bogus', /not required/],
    ];
    for (const [body, field, message] of cases) {
      await assert.rejects(rz.orders.create(body as any), (err: any) => {
        assert.equal(err.statusCode, 400, field);
        assert.equal(err.error.code, 'BAD_REQUEST_ERROR');
        assert.equal(err.error.field, field);
        assert.match(err.error.description, message);
        return true;
      });
    }
    await assert.rejects(rz.orders.fetch('order_doesnotexist00'), (err: any) => err.statusCode === 400 && err.error.description === 'The id provided does not exist');
    assert.deepEqual((await sb.state()).razorpay.orders, {});
  });

  it('a captured payment delivers payment.authorized, payment.captured and order.paid, signed, in order', async () => {
    const order = await newOrder();
    const paid = await pay(order.id, 'captured');
    await settled();
    assert.deepEqual(receiver.received.map((r) => r.body.event), ['payment.authorized', 'payment.captured', 'order.paid']);
    const ids = new Set(receiver.received.map((r) => r.headers['x-razorpay-event-id']));
    assert.equal(ids.size, 3);
    assert.deepEqual([...ids], paid.events.map((e: any) => e.eventId));
    for (const r of receiver.received) {
      assert.equal(r.headers['content-type'], 'application/json');
      assert.ok(validSig(r), 'our HMAC check');
      assert.equal(Razorpay.validateWebhookSignature(r.raw, r.headers['x-razorpay-signature'] as string, WEBHOOK_SECRET), true, 'SDK check');
      assert.equal(r.body.entity, 'event');
      assert.match(r.body.account_id, /^acc_/);
      assert.equal(typeof r.body.created_at, 'number');
      assert.equal(r.body.payload.payment.entity.order_id, order.id);
    }
    const [authorized, captured, orderPaid] = receiver.received.map((r) => r.body);
    assert.deepEqual(authorized.contains, ['payment']);
    assert.equal(authorized.payload.payment.entity.status, 'authorized');
    assert.equal(captured.payload.payment.entity.status, 'captured');
    assert.equal(captured.payload.payment.entity.amount, 89900);
    assert.deepEqual(orderPaid.contains, ['payment', 'order']);
    assert.equal(orderPaid.payload.order.entity.status, 'paid');
    assert.equal(orderPaid.payload.order.entity.amount_due, 0);

    const payment: any = await rz.payments.fetch(paid.payment.id);
    assert.equal(payment.status, 'captured');
    assert.equal(payment.captured, true);
    assert.equal(((await rz.orders.fetch(order.id)) as any).status, 'paid');
    const st = (await sb.state()).razorpay;
    assert.equal(st.deliveries.length, 3);
    assert.ok(st.deliveries.every((d: any) => d.delivered && d.attempts === 1 && d.lastStatus === 200 && d.orderId === order.id));
    const again = await sb.call('POST', `/_sandbox/razorpay/orders/${order.id}/pay`, { outcome: 'captured' });
    assert.equal(again.status, 409);
  });

  it('a failed payment delivers payment.failed and leaves the order attempted', async () => {
    const order = await newOrder();
    await pay(order.id, 'failed');
    await settled();
    assert.deepEqual(receiver.received.map((r) => r.body.event), ['payment.failed']);
    const p = receiver.received[0].body.payload.payment.entity;
    assert.equal(p.status, 'failed');
    assert.equal(p.error_reason, 'payment_failed');
    const o: any = await rz.orders.fetch(order.id);
    assert.equal(o.status, 'attempted');
    assert.equal(o.attempts, 1);
    const bad = await sb.call('POST', `/_sandbox/razorpay/orders/${order.id}/pay`, { outcome: 'maybe' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'outcome');
  });

  it('retries a delivery answered with 500 (and one not answered in time) with backoff, same id and same bytes', async () => {
    await sb.call('POST', '/_sandbox/razorpay/webhook-retry', { baseDelayMs: 100, timeoutMs: 300 });
    receiver.respond = async (_r, n) => {
      if (n === 1) return 500;
      if (n === 2) await new Promise((r) => setTimeout(r, 600));
      return 200;
    };
    const order = await newOrder();
    await pay(order.id, 'failed');
    await settled();
    const got = receiver.received;
    assert.equal(got.length, 3);
    assert.equal(new Set(got.map((r) => r.headers['x-razorpay-event-id'])).size, 1);
    assert.equal(new Set(got.map((r) => r.raw)).size, 1, 'redeliveries carry identical bytes');
    assert.ok(got[1].at - got[0].at >= 90, 'waited before retrying');
    assert.ok(got[2].at - got[1].at >= 300 + 190, 'timed out, then waited twice as long');
    const [d] = (await sb.state()).razorpay.deliveries;
    assert.equal(d.attempts, 3);
    assert.equal(d.delivered, true);
  });

  it('gives up after maxAttempts and records the last status', async () => {
    await sb.call('POST', '/_sandbox/razorpay/webhook-retry', { baseDelayMs: 10, maxAttempts: 3 });
    receiver.respond = () => 503;
    await pay((await newOrder()).id, 'failed');
    await settled();
    assert.equal(receiver.received.length, 3);
    const [d] = (await sb.state()).razorpay.deliveries;
    assert.deepEqual([d.attempts, d.delivered, d.lastStatus], [3, false, 503]);
  });

  it('duplicate-delivery sends each event N extra times concurrently with the same id', async () => {
    await sb.fault({ partner: 'razorpay', kind: 'duplicate-delivery', times: 2, count: 1 });
    await pay((await newOrder()).id, 'captured');
    await settled();
    assert.equal(receiver.received.length, 9);
    const byId = new Map<string, number>();
    for (const r of receiver.received) byId.set(r.headers['x-razorpay-event-id'] as string, (byId.get(r.headers['x-razorpay-event-id'] as string) ?? 0) + 1);
    assert.deepEqual([...byId.values()], [3, 3, 3]);
    assert.ok(receiver.received.every((r) => validSig(r)));
  });

  it('reorder delivers one payment’s events newest first', async () => {
    await sb.fault({ partner: 'razorpay', kind: 'reorder', count: 1 });
    await pay((await newOrder()).id, 'captured');
    await settled();
    assert.deepEqual(receiver.received.map((r) => r.body.event), ['order.paid', 'payment.captured', 'payment.authorized']);
  });

  it('bad-signature signs with a wrong secret; a receiver that rejects it gets a correctly signed retry', async () => {
    await sb.fault({ partner: 'razorpay', kind: 'bad-signature', count: 1 });
    await sb.call('POST', '/_sandbox/razorpay/webhook-retry', { baseDelayMs: 20 });
    receiver.respond = (r) => (validSig(r) ? 200 : 400);
    await pay((await newOrder()).id, 'failed');
    await settled();
    assert.equal(receiver.received.length, 2);
    assert.equal(Razorpay.validateWebhookSignature(receiver.received[0].raw, receiver.received[0].headers['x-razorpay-signature'] as string, WEBHOOK_SECRET), false);
    assert.equal(Razorpay.validateWebhookSignature(receiver.received[1].raw, receiver.received[1].headers['x-razorpay-signature'] as string, WEBHOOK_SECRET), true);
  });

  it('signs with a rotated webhook secret and redelivers an event on request', async () => {
    const next = 'rotated_webhook_secret_0002';
    const set = await sb.call('POST', '/_sandbox/razorpay/webhook-secret', { secret: next });
    assert.equal(JSON.stringify(set.body).includes(next), false, 'secret not echoed');
    const paid = await pay((await newOrder()).id, 'failed');
    await settled();
    assert.ok(validSig(receiver.received[0], next));
    assert.equal(validSig(receiver.received[0]), false);
    const re = await sb.call('POST', `/_sandbox/razorpay/events/${paid.events[0].eventId}/redeliver`);
    assert.equal(re.status, 202);
    await settled();
    assert.equal(receiver.received.length, 2);
    assert.equal(receiver.received[1].raw, receiver.received[0].raw);
    assert.equal((await sb.call('POST', '/_sandbox/razorpay/webhook-secret', { secret: 'short' })).body.field, 'secret');
  });

  it('honours reject-credentials, rate-limit and server-error faults in Razorpay format', async () => {
    await sb.fault({ partner: 'razorpay', kind: 'reject-credentials', count: 1 });
    await assert.rejects(rz.orders.all({ count: 1 }), (err: any) => err.statusCode === 401 && err.error.description === 'Authentication failed');
    await sb.fault({ partner: 'razorpay', kind: 'rate-limit', retryAfterSeconds: 2, count: 1 });
    await assert.rejects(rz.orders.all({ count: 1 }), (err: any) => err.statusCode === 429 && err.error.code === 'BAD_REQUEST_ERROR');
    await sb.fault({ partner: 'razorpay', kind: 'server-error', status: 502, count: 1 });
    await assert.rejects(rz.orders.all({ count: 1 }), (err: any) => err.statusCode === 502 && err.error.code === 'SERVER_ERROR');
    assert.equal(((await rz.orders.all({ count: 1 })) as any).entity, 'collection');
  });
});
