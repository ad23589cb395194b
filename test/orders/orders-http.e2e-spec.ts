import '../support/test-env';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bearer, createTestKey } from '../support/api-keys';
import { seedProduct, stockOf } from '../payments/support/orders-harness';
import { OrdersStack, startOrdersStack } from './support/orders-stack';

describe('orders over HTTP (API keys, scopes, channels, problem+json)', () => {
  let stack: OrdersStack;
  let writer: string;
  let reader: string;
  let amazon: string;

  before(async () => {
    stack = await startOrdersStack('ordershttp');
    await seedProduct(stack.api.app, 'HT-SERUM', 20, '899.00');
    await seedProduct(stack.api.app, 'HT-CREAM', 20, '450.50');
    await seedProduct(stack.api.app, 'HT-TONER', 20, '300.00');
    writer = await createTestKey(stack.api.app, { scopes: ['orders:write', 'orders:read'] });
    reader = await createTestKey(stack.api.app, { scopes: ['orders:read'] });
    amazon = await createTestKey(stack.api.app, { scopes: ['orders:write', 'orders:read'], channels: ['amazon'] });
  });
  after(() => stack?.close());

  const post = (path: string, key: string, body: unknown, idem?: string) =>
    fetch(`${stack.api.url}${path}`, {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json', ...(idem ? { 'idempotency-key': idem } : {}) },
      body: JSON.stringify(body),
    });
  const get = (path: string, key: string) => fetch(`${stack.api.url}${path}`, { headers: bearer(key) });
  const problem = async (res: Response, status: number, slug: string) => {
    assert.equal(res.status, status, `${slug}: ${res.status}`);
    assert.match(res.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const body: any = await res.json();
    assert.ok(body.type.endsWith('/' + slug), `${body.type} should end with ${slug}`);
    assert.equal(body.requestId, res.headers.get('x-request-id'));
    return body;
  };

  it('creates a storefront order (201, Razorpay order id, paise) and replays it for the same Idempotency-Key', async () => {
    const body = { channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: 2 }, { sku: 'HT-CREAM', quantity: 1 }], customer: { name: 'Asha', email: 'asha@example.com' } };
    const res = await post('/v1/orders', writer, body, 'http-create-1');
    assert.equal(res.status, 201);
    const o: any = await res.json();
    assert.equal(o.status, 'pending-payment');
    assert.equal(o.amountMinor, 2 * 89900 + 45050);
    assert.match(o.razorpay.orderId, /^order_/);
    assert.equal(o.reservation.status, 'held');
    const again = await post('/v1/orders', writer, body, 'http-create-1');
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(((await again.json()) as any).id, o.id);
    await problem(await post('/v1/orders', writer, { ...body, items: [{ sku: 'HT-SERUM', quantity: 1 }] }, 'http-create-1'), 422, 'idempotency-key-reused');

    const read = await get(`/v1/orders/${o.id}`, reader);
    assert.equal(read.status, 200);
    assert.deepEqual(((await read.json()) as any).items.map((i: any) => [i.sku, i.quantity, i.unitPrice]), [['HT-SERUM', 2, '899.00'], ['HT-CREAM', 1, '450.50']]);
    assert.deepEqual(await stockOf(stack.ds, 'HT-SERUM'), { onHand: 20, reserved: 2 });

    const cancelled = await post(`/v1/orders/${o.id}/cancel`, writer, { reason: 'changed my mind' });
    assert.equal(cancelled.status, 200);
    assert.equal(((await cancelled.json()) as any).status, 'cancelled');
    assert.deepEqual(await stockOf(stack.ds, 'HT-SERUM'), { onHand: 20, reserved: 0 });
    const list: any = await (await get('/v1/orders?status=cancelled', reader)).json();
    assert.deepEqual(list.data.map((x: any) => x.id), [o.id]);

    // One order.created (the replay wrote nothing), then order.cancelled: each with the request that did it.
    const audit = await stack.ds.query(`SELECT action, request_id, ip FROM audit_events WHERE subject_type = 'order' AND subject_id = $1 ORDER BY id`, [o.id]);
    assert.deepEqual(audit, [
      { action: 'order.created', request_id: res.headers.get('x-request-id'), ip: '127.0.0.1' },
      { action: 'order.cancelled', request_id: cancelled.headers.get('x-request-id'), ip: '127.0.0.1' },
    ]);
  });

  it('answers bad input with a 4xx naming the field and reserves nothing', async () => {
    const cases: [unknown, number, string, string][] = [
      [{ channel: 'storefront', items: [] }, 400, 'validation-failed', 'items'],
      [{ channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: 0 }] }, 400, 'validation-failed', 'items.0.quantity'],
      [{ channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: -1 }] }, 400, 'validation-failed', 'items.0.quantity'],
      [{ channel: 'storefront', items: Array.from({ length: 101 }, () => ({ sku: 'HT-SERUM', quantity: 1 })) }, 400, 'validation-failed', 'items'],
      [{ channel: 'ebay', items: [{ sku: 'HT-SERUM', quantity: 1 }] }, 400, 'validation-failed', 'channel'],
      [{ channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: 1 }], price: 1 }, 400, 'validation-failed', 'price'],
      [{ channel: 'storefront', items: [{ sku: 'NOPE', quantity: 1 }] }, 422, 'unknown-sku', 'items.0.sku'],
      [{ channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: 21 }] }, 409, 'insufficient-stock', ''],
    ];
    let i = 0;
    for (const [body, status, slug, field] of cases) {
      const p = await problem(await post('/v1/orders', writer, body, `bad-${i++}`), status, slug);
      if (field) assert.ok((p.errors ?? []).some((e: any) => e.field === field), `${slug} names ${field}: ${JSON.stringify(p.errors)}`);
    }
    await problem(await post('/v1/orders', writer, { channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: 1 }] }), 400, 'missing-idempotency-key');
    await problem(await post('/v1/orders', amazon, { channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: 1 }] }, 'amz-sf'), 403, 'channel-not-allowed');
    await problem(await post('/v1/orders', reader, { channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: 1 }] }, 'reader-1'), 403, 'insufficient-scope');
    await problem(await fetch(`${stack.api.url}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'x' }, body: '{}' }), 401, 'missing-api-key');
    await problem(await get('/v1/orders/not-a-uuid', reader), 404, 'not-found');
    await problem(await get('/v1/orders?status=lost', reader), 400, 'validation-failed');
    await problem(await post('/v1/orders/00000000-0000-4000-8000-000000000000/cancel', writer, {}), 404, 'not-found');
    assert.deepEqual(await stockOf(stack.ds, 'HT-SERUM'), { onHand: 20, reserved: 0 });
    assert.deepEqual(await stockOf(stack.ds, 'HT-CREAM'), { onHand: 20, reserved: 0 });
  });

  it('cancels without a body', async () => {
    const created: any = await (await post('/v1/orders', writer, { channel: 'storefront', items: [{ sku: 'HT-SERUM', quantity: 1 }] }, 'nobody-1')).json();
    const res = await fetch(`${stack.api.url}/v1/orders/${created.id}/cancel`, { method: 'POST', headers: bearer(writer) });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(((await res.json()) as any).status, 'cancelled');
  });

  it('reads and cancels an order by its id in any case, releasing its stock (an upper-case id once released nothing)', async () => {
    const created: any = await (await post('/v1/orders', writer, { channel: 'storefront', items: [{ sku: 'HT-TONER', quantity: 2 }] }, 'upper-1')).json();
    const before = await stockOf(stack.ds, 'HT-TONER');
    const upper = created.id.toUpperCase();
    const read: any = await (await get(`/v1/orders/${upper}`, reader)).json();
    assert.equal(read.id, created.id);
    assert.deepEqual(read.items.map((i: any) => [i.sku, i.quantity]), [['HT-TONER', 2]]);
    const res = await post(`/v1/orders/${upper}/cancel`, writer, { reason: 'upper' });
    assert.equal(res.status, 200);
    const body: any = await res.json();
    assert.equal(body.id, created.id);
    assert.equal(body.status, 'cancelled');
    assert.equal(body.items.length, 1);
    assert.deepEqual(await stockOf(stack.ds, 'HT-TONER'), { onHand: before.onHand, reserved: before.reserved - 2 });
    const [held] = await stack.ds.query(`SELECT count(*)::int AS n FROM inventory_reservations WHERE order_id = $1 AND status = 'active'`, [created.id]);
    assert.equal(held.n, 0);
  });

  it('answers a cancel of a paid order with 409 order-not-cancellable naming its status (it was a 500)', async () => {
    const paid: any = await (await post('/v1/orders', amazon, { channel: 'amazon', externalId: '171-7777777-7777777', items: [{ sku: 'HT-TONER', quantity: 1 }] }, 'amz-cancel-1')).json();
    assert.equal(paid.status, 'paid');
    const body = await problem(await post(`/v1/orders/${paid.id}/cancel`, amazon, {}), 409, 'order-not-cancellable');
    assert.equal(body.status, 409);
    assert.equal(body.orderStatus, 'paid');
  });

  it('takes stock at once for an Amazon order from an Amazon-bound key, which sees only Amazon orders', async () => {
    const res = await post('/v1/orders', amazon, { channel: 'amazon', externalId: '171-5555555-5555555', items: [{ sku: 'HT-CREAM', quantity: 3 }] }, 'amz-1');
    assert.equal(res.status, 201);
    const o: any = await res.json();
    assert.equal(o.status, 'paid');
    assert.equal(o.razorpay, null);
    assert.deepEqual(await stockOf(stack.ds, 'HT-CREAM'), { onHand: 17, reserved: 0 });
    const mine: any = await (await get('/v1/orders', amazon)).json();
    assert.ok(mine.data.length >= 1 && mine.data.every((x: any) => x.channel === 'amazon'));
  });

  it('answers concurrent orders with one externalId and different Idempotency-Keys with one 201 and 409 duplicate-order for the rest', async () => {
    await seedProduct(stack.api.app, 'HT-RACE', 100, '100.00');
    for (let round = 0; round < 5; round++) {
      const externalId = `171-RACE000-${round}`;
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => post('/v1/orders', amazon, { channel: 'amazon', externalId, items: [{ sku: 'HT-RACE', quantity: 2 }] }, `race-${round}-${i}`)),
      );
      const bodies: any[] = await Promise.all(answers.map((r) => r.json()));
      const statuses = answers.map((r) => r.status).sort();
      assert.deepEqual(statuses, [201, 409, 409, 409, 409, 409, 409, 409], `round ${round}: ${JSON.stringify(bodies.filter((b) => !b.id))}`);
      const created = bodies[answers.findIndex((r) => r.status === 201)];
      for (const [i, r] of answers.entries()) {
        if (r.status !== 409) continue;
        assert.ok(bodies[i].type.endsWith('/duplicate-order'), bodies[i].type);
        assert.equal(bodies[i].orderId, created.id);
        assert.ok(bodies[i].errors.some((e: any) => e.field === 'externalId'));
      }
      // A later retry with yet another key is refused the same way.
      const late = await problem(await post('/v1/orders', amazon, { channel: 'amazon', externalId, items: [{ sku: 'HT-RACE', quantity: 2 }] }, `race-${round}-late`), 409, 'duplicate-order');
      assert.equal(late.orderId, created.id);
    }
    assert.deepEqual(await stockOf(stack.ds, 'HT-RACE'), { onHand: 100 - 5 * 2, reserved: 0 }, 'stock taken once per externalId');
    const [{ n }] = await stack.ds.query(`SELECT count(*)::int AS n FROM inventory_movements WHERE sku = 'HT-RACE' AND order_id IS NOT NULL`);
    assert.equal(n, 5);
  });

  it('answers forged list cursors with 400 validation-failed naming cursor', async () => {
    const b64 = (s: string) => Buffer.from(s).toString('base64url');
    const forged = [
      b64(`x 2020|${'0'.repeat(8)}-0000-4000-8000-000000000000`),
      b64(`2020-01-01T00:00:00.000Z|${'-'.repeat(36)}`),
      b64(`2020-01-01T00:00:00.000Z|${'a'.repeat(36)}`),
      b64('2020-01-01T00:00:00.000Z|00000000-0000-4000-8000-00000000000g'),
      b64('2020-02-30T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      b64('0000-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      b64('2020-01-01|00000000-0000-4000-8000-000000000000'),
      b64('99999-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000'),
      b64('2020-01-01T00:00:00.000Z|00000000-0000-4000-8000-000000000000|x'),
      b64('|'),
      b64('\u0000'),
      'AAAA',
    ];
    for (const cursor of forged) {
      const p = await problem(await get(`/v1/orders?cursor=${cursor}`, reader), 400, 'validation-failed');
      assert.ok((p.errors ?? []).some((e: any) => e.field === 'cursor'), `${Buffer.from(cursor, 'base64url').toString()}: ${JSON.stringify(p.errors)}`);
    }
    // A genuine cursor still pages.
    const first: any = await (await get('/v1/orders?limit=1', reader)).json();
    assert.ok(first.nextCursor);
    const next = await get(`/v1/orders?limit=1&cursor=${first.nextCursor}`, reader);
    assert.equal(next.status, 200);
    const page: any = await next.json();
    assert.notEqual(page.data[0].id, first.data[0].id);
  });

  it('documents the order and webhook routes in OpenAPI', async () => {
    const doc: any = await (await fetch(`${stack.api.url}/docs/openapi.json`)).json();
    for (const path of ['/v1/orders', '/v1/orders/{id}', '/v1/orders/{id}/cancel', '/v1/webhooks/razorpay']) assert.ok(doc.paths[path], path);
    assert.ok(doc.components.schemas.CreateOrderDto.properties.items);
  });
});
