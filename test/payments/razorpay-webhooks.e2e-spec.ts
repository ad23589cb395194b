import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { razorpaySignature } from '@hub/payments';
import { startApi } from '../support/hub-harness';
import { OrdersStack, startOrdersStack } from '../orders/support/orders-stack';
import { deliver, newStorefrontOrder, razorpayEvent, seedProduct, stockOf } from './support/orders-harness';

describe('POST /v1/webhooks/razorpay (signature, exactly-once effects, ordering)', () => {
  let stack: OrdersStack;

  before(async () => {
    stack = await startOrdersStack('webhooks');
  });
  after(() => stack?.close());

  const eventRows = async (orderId?: string) =>
    Number((await stack.ds.query(`SELECT count(*)::int AS n FROM razorpay_events ${orderId ? 'WHERE razorpay_order_id = $1' : ''}`, orderId ? [orderId] : []))[0].n);
  const movements = async (sku: string, kind: string) => Number((await stack.ds.query(`SELECT count(*)::int AS n FROM inventory_movements WHERE sku = $1 AND kind = $2`, [sku, kind]))[0].n);

  it('applies one event delivered 50 times at once, then 5 more times late, exactly once', async () => {
    await seedProduct(stack.api.app, 'WH-ONCE', 10);
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'WH-ONCE', quantity: 3 }]);
    assert.equal(order.status, 'pending-payment');
    assert.deepEqual(await stockOf(stack.ds, 'WH-ONCE'), { onHand: 10, reserved: 3 });

    const raw = JSON.stringify(razorpayEvent('payment.captured', order.razorpay!.orderId, 'pay_Once00000001', order.amountMinor));
    const took: number[] = [];
    const burst = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const t = performance.now();
        const res = await deliver(stack.api.url, 'evt_once_1', raw);
        took.push(performance.now() - t);
        return res;
      }),
    );
    console.log(`50 concurrent deliveries: slowest answered in ${Math.max(...took).toFixed(0)} ms`);
    const bodies: any[] = await Promise.all(burst.map((r) => r.json()));
    assert.ok(burst.every((r) => r.status === 200), `statuses: ${burst.map((r) => r.status).join(',')}`);
    assert.equal(bodies.filter((b) => b.status === 'processed').length, 1);
    assert.equal(bodies.filter((b) => b.status === 'duplicate').length, 49);
    for (let i = 0; i < 5; i++) {
      const late = await deliver(stack.api.url, 'evt_once_1', raw);
      assert.equal(late.status, 200);
      assert.equal(((await late.json()) as any).status, 'duplicate');
    }
    const paid = await stack.orders.get(undefined, order.id);
    assert.equal(paid.status, 'paid');
    assert.equal(paid.razorpay!.paymentId, 'pay_Once00000001');
    assert.deepEqual(await stockOf(stack.ds, 'WH-ONCE'), { onHand: 7, reserved: 0 }, 'stock taken once');
    assert.equal(await movements('WH-ONCE', 'commit'), 1);
    assert.equal(await eventRows(order.razorpay!.orderId), 1);

    // order.paid for the same payment is a different event id: recorded, but the order is already paid.
    const orderPaid = await deliver(stack.api.url, 'evt_once_2', JSON.stringify(razorpayEvent('order.paid', order.razorpay!.orderId, 'pay_Once00000001', order.amountMinor)));
    assert.deepEqual(await orderPaid.json(), { eventId: 'evt_once_2', status: 'processed', outcome: 'already-paid' });
    assert.deepEqual(await stockOf(stack.ds, 'WH-ONCE'), { onHand: 7, reserved: 0 });
  });

  it('stores a 4 KiB body byte for byte, compressed with lz4 where this Postgres has it', async () => {
    await seedProduct(stack.api.app, 'WH-LZ4', 5);
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'WH-LZ4', quantity: 1 }]);
    const event: any = razorpayEvent('payment.authorized', order.razorpay!.orderId, 'pay_Lz400000001', order.amountMinor);
    event.payload.payment.entity.notes = { gift: 'Happy birthday! '.repeat(250) };
    const raw = JSON.stringify(event);
    assert.ok(raw.length > 4000, 'over the TOAST threshold');
    assert.equal((await deliver(stack.api.url, 'evt_lz4_1', raw)).status, 200);

    const [row] = await stack.ds.query(`SELECT raw_body = $1 AS same, pg_column_compression(raw_body) AS method FROM razorpay_events WHERE event_id = 'evt_lz4_1'`, [raw]);
    assert.equal(row.same, true);
    const [{ lz4 }] = await stack.ds.query(`SELECT 'lz4' = ANY(enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`);
    // pglz cost this Postgres 4-5 times the CPU of lz4 per stored body (the migration says how much).
    assert.equal(row.method, lz4 ? 'lz4' : 'pglz');
  });

  it('applies an event once when its deliveries are split across two api instances', async () => {
    const second = await startApi();
    try {
      await seedProduct(stack.api.app, 'WH-TWO', 6);
      const order = await newStorefrontOrder(stack.orders, [{ sku: 'WH-TWO', quantity: 2 }]);
      const capture = JSON.stringify(razorpayEvent('payment.captured', order.razorpay!.orderId, 'pay_TwoInst00001', order.amountMinor));
      const paid = JSON.stringify(razorpayEvent('order.paid', order.razorpay!.orderId, 'pay_TwoInst00001', order.amountMinor));
      const res = await Promise.all(
        Array.from({ length: 40 }, (_, i) => deliver(i % 2 ? stack.api.url : second.url, i % 4 < 2 ? 'evt_two_capture' : 'evt_two_paid', i % 4 < 2 ? capture : paid)),
      );
      assert.ok(res.every((r) => r.status === 200));
      const bodies: any[] = await Promise.all(res.map((r) => r.json()));
      assert.equal(bodies.filter((b) => b.status === 'processed').length, 2, 'each of the two event ids processed once');
      assert.equal(bodies.filter((b) => b.outcome === 'order-paid').length, 1, 'whichever came first paid the order');
      assert.deepEqual(await stockOf(stack.ds, 'WH-TWO'), { onHand: 4, reserved: 0 });
      assert.equal(await movements('WH-TWO', 'commit'), 1);
    } finally {
      await second.close();
    }
  });

  it('refuses a bad signature, a body changed by one byte and a re-serialised body, storing nothing', async () => {
    await seedProduct(stack.api.app, 'WH-SIG', 5);
    const order = await newStorefrontOrder(stack.orders, [{ sku: 'WH-SIG', quantity: 1 }]);
    const raw = JSON.stringify(razorpayEvent('payment.captured', order.razorpay!.orderId, 'pay_Sig000000001', order.amountMinor));
    const good = razorpaySignature(raw, process.env.RAZORPAY_WEBHOOK_SECRET!);
    const oneByte = Buffer.from(raw);
    oneByte[raw.indexOf('captured') + 1] ^= 0x20; // "captured" -> "cAptured"
    const reserialised = JSON.stringify(JSON.parse(raw), null, 1);
    const attempts: [string, Response][] = [
      ['wrong secret', await deliver(stack.api.url, 'evt_sig_1', raw, { secret: 'not-the-secret' })],
      ['garbage signature', await deliver(stack.api.url, 'evt_sig_2', raw, { signature: 'deadbeef' })],
      ['empty signature', await deliver(stack.api.url, 'evt_sig_3', raw, { signature: '' })],
      ['one byte changed', await deliver(stack.api.url, 'evt_sig_4', oneByte, { signature: good })],
      ['re-serialised', await deliver(stack.api.url, 'evt_sig_5', reserialised, { signature: good })],
    ];
    for (const [what, res] of attempts) {
      assert.equal(res.status, 400, what);
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/, what);
      const body: any = await res.json();
      assert.ok(body.type.endsWith('/invalid-signature'), `${what}: ${body.type}`);
    }
    assert.equal(await eventRows(order.razorpay!.orderId), 0, 'nothing stored');
    assert.equal((await stack.orders.get(undefined, order.id)).status, 'pending-payment');
    assert.deepEqual(await stockOf(stack.ds, 'WH-SIG'), { onHand: 5, reserved: 1 });

    // The genuine delivery under the same event id still works afterwards.
    const ok = await deliver(stack.api.url, 'evt_sig_1', raw);
    assert.equal(ok.status, 200);
    assert.equal((await stack.orders.get(undefined, order.id)).status, 'paid');
  });

  // A signed delivery is acknowledged whatever its shape (Razorpay redelivers anything else): razorpay-malformed.e2e-spec.ts.
  it('acknowledges a signed delivery without an event id or that is not an event as malformed, and an unknown order with 200', async () => {
    const raw = JSON.stringify(razorpayEvent('payment.captured', 'order_NotOurs0000001', 'pay_X', 100));
    const noId = await fetch(`${stack.api.url}/v1/webhooks/razorpay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-razorpay-signature': razorpaySignature(raw, process.env.RAZORPAY_WEBHOOK_SECRET!) },
      body: raw,
    });
    assert.equal(noId.status, 200);
    assert.equal(((await noId.json()) as any).outcome, 'malformed');
    const notEvent = await deliver(stack.api.url, 'evt_bad_shape', JSON.stringify({ hello: 'world' }));
    assert.equal(notEvent.status, 200);
    assert.equal(((await notEvent.json()) as any).outcome, 'malformed');
    const unknown = await deliver(stack.api.url, 'evt_unknown_order', raw);
    assert.equal(unknown.status, 200);
    assert.equal(((await unknown.json()) as any).outcome, 'ignored-unknown-order');
  });

  it('ends 1,000 shuffled deliveries with duplicates in the same state as each event delivered once in order', async () => {
    const N = 45; // orders per group; 15 paid, 15 failed then paid, 15 failed
    const stories = (i: number) =>
      i % 3 === 0 ? ['payment.authorized', 'payment.captured', 'order.paid'] : i % 3 === 1 ? ['payment.failed', 'payment.authorized', 'payment.captured', 'order.paid'] : ['payment.failed'];
    const group = async (tag: string) => {
      const list: { order: Awaited<ReturnType<typeof newStorefrontOrder>>; events: { id: string; raw: string }[]; sku: string }[] = [];
      for (let i = 0; i < N; i++) {
        const sku = `WH-${tag}-${i}`;
        await seedProduct(stack.api.app, sku, 4);
        const order = await newStorefrontOrder(stack.orders, [{ sku, quantity: 2 }]);
        const events = stories(i).map((e, k) => ({
          id: `evt_${tag}_${i}_${k}`,
          raw: JSON.stringify(razorpayEvent(e, order.razorpay!.orderId, `pay_${tag}${i}${e === 'payment.failed' ? 'f' : 'ok'}`, order.amountMinor)),
        }));
        list.push({ order, events, sku });
      }
      return list;
    };
    const inOrder = await group('A');
    const shuffled = await group('B');

    for (const o of inOrder) for (const e of o.events) assert.equal((await deliver(stack.api.url, e.id, e.raw)).status, 200);

    const unique = shuffled.flatMap((o) => o.events);
    const deliveries = [...unique];
    while (deliveries.length < 1000) deliveries.push(unique[Math.floor(Math.random() * unique.length)]);
    for (let i = deliveries.length - 1; i > 0; i--) {
      const j = Math.floor(Math.random() * (i + 1));
      [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
    }
    let next = 0;
    const statuses: number[] = [];
    await Promise.all(Array.from({ length: 8 }, async () => {
      while (next < deliveries.length) {
        const d = deliveries[next++];
        statuses.push((await deliver(stack.api.url, d.id, d.raw)).status);
      }
    }));
    assert.equal(statuses.length, 1000);
    assert.ok(statuses.every((s) => s === 200), 'every delivery acknowledged');

    for (let i = 0; i < N; i++) {
      const a = await stack.orders.get(undefined, inOrder[i].order.id);
      const b = await stack.orders.get(undefined, shuffled[i].order.id);
      assert.equal(b.status, a.status, `order ${i}`);
      assert.deepEqual(await stockOf(stack.ds, shuffled[i].sku), await stockOf(stack.ds, inOrder[i].sku), `stock ${i}`);
      assert.equal(a.status, i % 3 === 2 ? 'payment-failed' : 'paid');
    }
    const [{ n }] = await stack.ds.query(`SELECT count(*)::int AS n FROM razorpay_events WHERE event_id LIKE 'evt_B_%'`);
    assert.equal(n, unique.length, 'each distinct event stored once');
  });
});
